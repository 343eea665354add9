# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# One stamp per package set: a serving-only install (make run) never satisfies make test.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
export KB_INDEX_DIR ?= data/index
export PORT ?= 5000
HOST ?= 127.0.0.1
Q ?= customer lock-on

DICTIONARIES := swe-eng nld-eng dan-eng deu-eng eng-nor swe-nor swe-deu eng-swe eng-nld nld-deu
DICT_DIR ?= /usr/share/dictd

.PHONY: setup dictionaries run serve ingest search test eval eval-corpora bench bench-scale soak clean

# pip prints nothing while it unpacks the wheels it collected (a minute or more), and venv nothing while it
# bootstraps pip: a line every 4 s says the work goes on. The recipes say what they run in a line of their own
# (`@`): make echoing the loop itself told a newcomer nothing.
define with_heartbeat
	$(1) & job=$$!; \
	while sleep 4; kill -0 $$job 2>/dev/null; do \
	  echo "setup: $(2) ($$(ls $(VENV)/lib/python3*/site-packages 2>/dev/null | wc -l) entries in $(VENV) so far)"; \
	done; wait $$job
endef
pip_install = $(call with_heartbeat,$(BIN)/pip install --progress-bar off $(1),pip is still installing)

## the serving packages only (requirements.txt); `make test` adds the test, st: and scale-out sets
setup: $(STAMP)

$(STAMP): requirements.txt
	@echo "setup: creating $(VENV) and installing the serving packages (requirements.txt)"
	@test -d $(VENV) || { echo "setup: $(PYTHON) -m venv $(VENV)"; $(call with_heartbeat,$(PYTHON) -m venv $(VENV),creating the virtual environment); }
	@echo "setup: pip install --upgrade pip"; $(call pip_install,--quiet --upgrade pip)
	@echo "setup: pip install -r requirements.txt"; $(call pip_install,-r requirements.txt)
	@touch $(STAMP)

$(TEST_STAMP): $(STAMP) requirements-test.txt requirements-st.txt requirements-scale.txt
	@echo "setup: installing the test, sentence-transformers and scale-out packages (requirements-test.txt)"
	@echo "setup: pip install -r requirements-test.txt"; $(call pip_install,-r requirements-test.txt)
	@touch $(TEST_STAMP)

## FreeDict dictionaries for glosses: installed when missing and root is available, else a note (glosses degrade)
dictionaries:
	@missing=""; for d in $(DICTIONARIES); do [ -f "$(DICT_DIR)/freedict-$$d.index" ] || missing="$$missing dict-freedict-$$d"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && [ "$(DICT_DIR)" = /usr/share/dictd ]; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null) \
	  || echo "note: could not install$$missing; glosses fall back to concept terms"; \
	else echo "note: missing$$missing (apt-get install as root); glosses fall back to concept terms"; fi

$(AXE):
	npm install --silent --no-audit --no-fund --prefix $(VENV)/npm axe-core@4.10.3

$(KB_INDEX_DIR)/CURRENT: | $(STAMP) dictionaries
	@echo "ingest: no index in $(KB_INDEX_DIR) yet: building the machine's derived data (once), then ingesting seeds/"
	$(BIN)/python -m index cache
	$(BIN)/python -m ingest seeds --index-dir $(KB_INDEX_DIR)

## ingest the seeds (incremental: unchanged files are skipped)
ingest: $(STAMP)
	$(BIN)/python -m ingest seeds --index-dir $(KB_INDEX_DIR)

## search from the command line: make search Q="..."
search: $(KB_INDEX_DIR)/CURRENT
	$(BIN)/python -m index search "$(Q)"

## set up, ingest the seeds if no index exists, serve the UI and API: nginx -> gunicorn (threads), job runner beside
run: dictionaries $(KB_INDEX_DIR)/CURRENT
	@# The derived data again where the cache folder lost any of it (a second when it is complete): else the server
	@# would rebuild it, minutes, before it answers
	$(BIN)/python -m index cache
	$(BIN)/python -m webapp.serve --host $(HOST) --port $(PORT)

## the whole test suite: two processes share the tests that assert no wall-clock time (one native thread each, so
## that their encoders do not fight over two cores), then the few that do (marked `alone`: latencies under attack,
## replication lag) run with the machine to themselves
## (KB_TEST_SHARED: one folder for the run's processes, where the seed index is built once; the derived data, in
## its cache folder, before they start: the label vectors on one native thread, the dictionaries on the other core)
test: $(TEST_STAMP) $(AXE) dictionaries
	@shared=$$(mktemp -d); trap 'rm -rf "$$shared"' EXIT; export KB_TEST_SHARED=$$shared KB_CACHE_DIR=$$shared/cache; \
	set -x; OMP_NUM_THREADS=1 $(BIN)/python -m index cache && \
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2 --dist loadscope -m "not alone" && \
	$(BIN)/python -m pytest -m alone

## retrieval and concept quality on the project's eval set (EVAL_QUERIES=..., EVAL_CORPUS=... for others)
eval: $(KB_INDEX_DIR)/CURRENT
	$(BIN)/python -m eval.harness
	$(BIN)/python -m eval.glosses
	$(BIN)/python -m eval.suggestions

## cross-language retrieval per language pair on the translated corpora (SPLIT=dev for tuning, SPLIT=test to judge)
SPLIT ?= dev
eval-corpora: $(STAMP)
	$(BIN)/python -m eval.corpora --split $(SPLIT)

## throughput, latency and approximate-search benchmarks
bench: $(KB_INDEX_DIR)/CURRENT
	$(BIN)/python -m eval.bench

## one small write and one search as the embedded index grows (SCALE_SIZES=10000,100000,1000000), then Ray's throughput
bench-scale: $(TEST_STAMP)
	$(BIN)/python -m eval.bench_scale

## the kill, crash and slow-client tests at their stress size, then sustained writes through the served stack and
## every document and passage read back (SOAK_WRITES=2000)
SOAK_WRITES ?= 2000
soak: $(TEST_STAMP) $(AXE) dictionaries
	$(BIN)/python -m pytest --stress -m stress
	$(BIN)/python -m eval.soak --writes $(SOAK_WRITES)

clean:
	rm -rf data .pytest_cache .hypothesis
