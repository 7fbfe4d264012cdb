# Every target sets up the virtual environment it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUBMISSION ?= solutions/cnn

.PHONY: setup grade test test-fast test-nightly lint image benchmark selftest clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' || \
		{ echo "Python 3.11 to 3.13 is required (found $$($(PYTHON) --version))"; exit 1; }
	@$(PYTHON) -m venv $(VENV) || { echo "Cannot create a venv: on Debian, apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[instructor,test]'
	@touch $@

## grade: grade SUBMISSION (default: the cnn reference solution) on the default backend
grade: setup
	$(BIN)/grade $(SUBMISSION) --include-hidden

## test: run the test suite CI runs (docker tests skip without an engine, unless GRADE_REQUIRE_DOCKER=1)
test: setup
	$(BIN)/python -m pytest -ra --durations=15 -m "not nightly"

## test-nightly: the whole selftest of every exercise on two seeds (over an hour on 2 cores)
test-nightly: setup
	$(BIN)/python -m pytest -ra --durations=15 -m nightly

## test-fast: the unit tier (no end-to-end grading, no real exercises, no docker), in well under a minute
test-fast: setup
	$(BIN)/python -m pytest -ra -m "not slow and not docker and not integration and not nightly"

## lint: ruff (lint and format), mypy and the import contracts between trust tiers
lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## image: build the grading image (offline path: debootstrap + wheels)
image: setup
	$(BIN)/grade image build

## selftest: prove every grader sound on 20 seeds, and rewrite each CALIBRATION.md from the same runs
selftest: setup
	$(BIN)/grade selftest --seeds 20 --write-calibration

## benchmark: print wall time, memory and engine overhead per pilot exercise
benchmark: setup
	$(BIN)/python benchmarks/engine_overhead.py

clean:
	rm -rf $(VENV) build dist *.egg-info
