"""Start-up and first reply of `recbot chat`, as a person sees them in a terminal (a pty).

Per run: start `python -m bot chat` on a pty with the given config, time until the `you> ` prompt
("warm start to first prompt"; a first untimed run converts the model and builds caches), type a
request, time until the first character of the reply appears ("first streamed token") and until the
next prompt ("whole reply"). Medians over --runs. The load average is printed with the numbers because
the machine is shared.

    PYTHONPATH=. python benchmarks/startup.py --runs 3
    PYTHONPATH=. python benchmarks/startup.py --runs 3 --prose on   # the bundled model writing prose too
    PYTHONPATH=. python benchmarks/startup.py --runs 3 --type-delay 5   # the message typed 5 s after the prompt
"""

from __future__ import annotations

import argparse
import os
import pty
import resource
import select
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = ["a funny movie from the 80s", "something like Alien but less gory", "a thoughtful sci-fi book"]


def _read_until(fd: int, marker: bytes, within_s: float, seen: bytearray, first: list[float]) -> bool:
    end = time.monotonic() + within_s
    while marker not in seen and time.monotonic() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                return False
            if chunk and not first:
                first.append(time.monotonic())
            seen += chunk
    return marker in seen


def _cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def one_run(config: Path, data_dir: Path, request: str, type_delay_s: float = 0.0) -> dict[str, float]:
    cpu0 = _cpu()
    main, child = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RECBOT_DATA_DIR": str(data_dir)}
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "chat"], stdin=child,
                            stdout=child, stderr=child, env=env, close_fds=True)
    os.close(child)
    try:
        seen = bytearray()
        if not _read_until(main, b"you> ", 300, seen, []):
            raise RuntimeError(f"no prompt: {bytes(seen[-400:])!r}")
        prompt_s = time.monotonic() - t0
        banner = bytes(seen)
        seen.clear()
        time.sleep(type_delay_s)  # a person typing the message
        t1 = time.monotonic()
        os.write(main, request.encode() + b"\n")
        # The pty echoes the typed line first; the reply starts with "recbot> ".
        _read_until(main, request.encode(), 10, seen, [])
        del seen[: seen.find(request.encode()) + len(request)]
        first: list[float] = []
        if not _read_until(main, b"recbot> ", 120, seen, first):
            raise RuntimeError(f"no reply: {bytes(seen[-400:])!r}")
        first_s = time.monotonic() - t1
        if not _read_until(main, b"you> ", 120, seen, []):
            raise RuntimeError(f"reply did not finish: {bytes(seen[-400:])!r}")
        whole_s = time.monotonic() - t1
        result = {"prompt_s": prompt_s, "first_s": first_s, "whole_s": whole_s,
                "bars": float(b"Loading weights" in banner or b"it/s]" in banner), "reply": bytes(seen).decode(
                    "utf-8", "replace")}  # type: ignore[dict-item]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        os.close(main)
    result["cpu_s"] = _cpu() - cpu0
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--prose", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--show", action="store_true", help="print the first reply")
    ap.add_argument("--type-delay", type=float, default=0.0, help="seconds between the prompt and the message")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="recbot-startup-"))
    config = tmp / "recbot.toml"
    config.write_text(f'[generation]\nprose = "{args.prose}"\n', encoding="utf-8")  # else the default config
    data = tmp / "data"
    print(f"warming up (first start: caches, model conversion if needed) in {tmp} ...", file=sys.stderr)
    one_run(config, data, REQUESTS[0])
    runs = [one_run(config, data, REQUESTS[i % len(REQUESTS)], args.type_delay) for i in range(args.runs)]
    if args.show:
        print(runs[0]["reply"])
    med = {k: statistics.median(r[k] for r in runs) for k in ("prompt_s", "first_s", "whole_s")}
    load = os.getloadavg()
    print(f"prose={args.prose} runs={args.runs} cores={os.cpu_count()} load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}")
    print(f"warm start to first prompt: median {med['prompt_s']:.2f} s  (runs: "
          + ", ".join(f"{r['prompt_s']:.2f}" for r in runs) + ")")
    print(f"first streamed text:        median {med['first_s']:.2f} s  (runs: "
          + ", ".join(f"{r['first_s']:.2f}" for r in runs) + ")")
    print(f"whole reply:                median {med['whole_s']:.2f} s  (runs: "
          + ", ".join(f"{r['whole_s']:.2f}" for r in runs) + ")")
    total = statistics.median(r["prompt_s"] + r["whole_s"] for r in runs)
    print(f"start to first reply, message sent {args.type_delay:.0f} s after the prompt: median "
          f"{total + args.type_delay:.2f} s")
    print(f"CPU seconds per run (start, one reply, exit): median {statistics.median(r['cpu_s'] for r in runs):.2f}")
    print(f"progress bars on warm starts: {int(sum(r['bars'] for r in runs))} of {len(runs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
