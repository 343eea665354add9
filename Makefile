# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
export KB_INDEX_DIR ?= data/index
export PORT ?= 5000
HOST ?= 127.0.0.1
Q ?= customer lock-on

.PHONY: setup run serve ingest search test eval bench clean

setup: $(STAMP)

$(STAMP): requirements.txt requirements-test.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt -r requirements-test.txt
	touch $(STAMP)

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/npm axe-core@4.10.3

$(KB_INDEX_DIR)/CURRENT: | $(STAMP)
	$(BIN)/python -m ingest seeds --index-dir $(KB_INDEX_DIR)

## ingest the seeds (incremental: unchanged files are skipped)
ingest: $(STAMP)
	$(BIN)/python -m ingest seeds --index-dir $(KB_INDEX_DIR)

## search from the command line: make search Q="..."
search: $(KB_INDEX_DIR)/CURRENT
	$(BIN)/python -m index search "$(Q)"

## set up, ingest the seeds if no index exists, serve the UI and API: nginx -> gunicorn (threads), job runner beside
run: $(KB_INDEX_DIR)/CURRENT
	@echo "Serving http://$(HOST):$(PORT)  (index: $(KB_INDEX_DIR); Ctrl-C stops)"
	$(BIN)/python -m webapp.serve --host $(HOST) --port $(PORT)

## the whole test suite
test: $(STAMP) $(AXE)
	$(BIN)/python -m pytest

## retrieval and concept quality on the project's eval set (EVAL_QUERIES=..., EVAL_CORPUS=... for others)
eval: $(KB_INDEX_DIR)/CURRENT
	$(BIN)/python -m eval.harness

## throughput, latency and approximate-search benchmarks
bench: $(KB_INDEX_DIR)/CURRENT
	$(BIN)/python -m eval.bench

clean:
	rm -rf data .pytest_cache .hypothesis
