# nnlab: `make quickstart` and `make test` set everything up from scratch on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Folder of Keras-format .npz files for machines without internet (else $$NNLAB_DATA_DIR or Keras' cache).
DATA_DIR ?=
DATA_OPT := $(if $(DATA_DIR),--data-dir $(DATA_DIR))
SUITE    ?= experiments/chapter3.yaml

.PHONY: install quickstart test smoke-report all-experiments clean

$(BIN)/nnlab: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(BIN)/nnlab

quickstart: install  ## a small study on the bundled sample, no download
	$(BIN)/nnlab run configs/quickstart.yaml --results results

test: install  ## unit tests plus smoke runs on tiny subsets
	$(BIN)/pytest -q

smoke-report: install  ## the whole suite on 300 examples for 2 epochs, then its report (a few minutes)
	$(BIN)/nnlab suite $(SUITE) $(DATA_OPT) --results results-smoke --subset 300 --epochs 2
	$(BIN)/nnlab report --results results-smoke

all-experiments: install  ## every study of the suite on the full data, 3 seeds each, then the report
	$(BIN)/nnlab suite $(SUITE) $(DATA_OPT) --results results
	$(BIN)/nnlab report --results results

clean:
	rm -rf results-smoke .pytest_cache
