"""Benchmarks (run as scripts: python -m benchmarks.<name> or python benchmarks/<name>.py)."""
