# nnlab: `make quickstart` and `make test` set everything up from scratch on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Folder of Keras-format .npz files for machines without internet (else $$NNLAB_DATA_DIR or Keras' cache).
DATA_DIR ?=
DATA_OPT := $(if $(DATA_DIR),--data-dir $(DATA_DIR))
SUITES   ?= experiments/chapter3.yaml experiments/course.yaml experiments/course_script.yaml experiments/search_methods.yaml

.PHONY: install quickstart test test-fast docs lint-imports smoke-report all-experiments bench bench-quick torture clean

$(BIN)/nnlab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/nnlab

quickstart: install  ## a small study on the bundled sample, no download
	$(BIN)/nnlab run configs/quickstart.yaml --results results

# Every run trains on one thread, so two test workers keep both cores of a laptop (or CI) busy.
TEST_WORKERS ?= 2
test: install  ## lint, the import contracts, the docs site, then every test: unit tests plus smoke runs on tiny subsets (what CI runs; minutes)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(BIN)/pytest -q -n $(TEST_WORKERS) --dist loadfile

docs: install  ## the documentation site into build/docs (mkdocs.yml; warnings are errors), in about a second
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict
	@echo "open build/docs/index.html (or: $(BIN)/mkdocs serve)"

lint-imports: install  ## the house's import contracts (pyproject.toml: floors, a kind's rooms); fails on an upward import
	$(BIN)/lint-imports

test-fast: install  ## the fast tier: the tests not marked slow (pyproject.toml says which are), in under 15 s
	$(BIN)/pytest -q -m "not slow"

smoke-report: install  ## every suite on 300 examples, 2 epochs, 2 seeds and 5 trials a search, then the report (a few minutes)
	set -e; for suite in $(SUITES); do $(BIN)/nnlab suite $$suite $(DATA_OPT) --results results-smoke --subset 300 --epochs 2 --seeds 2 --trials 5; done
	$(BIN)/nnlab report --results results-smoke

# The committed report comes from committed code only: ALLOW_DIRTY=1 runs from uncommitted changes, into
# another RESULTS folder (an experiment), never into results/.
RESULTS ?= results
all-experiments: install  ## every study of every suite on the full data, then the report; resumes. Refuses uncommitted code (ALLOW_DIRTY=1 RESULTS=elsewhere for an experiment)
	@if [ -n "$(ALLOW_DIRTY)" ] && [ "$(abspath $(RESULTS))" = "$(abspath results)" ]; then \
	  echo "ALLOW_DIRTY is for experiments: give RESULTS=another-folder (results/ holds the committed report, made from committed code only)" >&2; exit 2; fi
	set -e; for suite in $(SUITES); do $(BIN)/nnlab suite $$suite $(DATA_OPT) --results $(RESULTS) $(if $(ALLOW_DIRTY),,--require-clean); done
	$(BIN)/nnlab report --results $(RESULTS)
	$(BIN)/nnlab report --results $(RESULTS) --lang zh

bench: install  ## nnlab against the notebook way, side by side, with 1 and 3 seeds (full studies, about 30 min; run on an idle machine)
	$(BIN)/python benchmarks/bench.py $(DATA_OPT)

bench-quick: install  ## the same on 2,000 examples x 4 epochs (a few minutes)
	$(BIN)/python benchmarks/bench.py --quick $(DATA_OPT)

torture: install  ## SIGKILL a tiny suite and its report 200 times at random moments and writes; nothing may be lost (36 min here for 200)
	$(BIN)/python tests/crash_torture.py --kills $(or $(KILLS),200)

clean:
	rm -rf results-smoke .pytest_cache
