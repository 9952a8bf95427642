# Set-up and entry points. `make demo` and `make test` work on a fresh machine:
# they create .venv, install the pinned CPU build of torch first (an unpinned
# torch would pull a multi-GB CUDA build), then rotordx with every extra (`all`) and
# the development tools (`dev`).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
TORCH  := torch==2.13.0

.PHONY: setup demo test test-all lint clean

$(BIN)/.rotordx-installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[all,dev]'
	touch $@

setup: $(BIN)/.rotordx-installed

demo: setup
	$(BIN)/rotordx demo --out rotordx-demo --force

test: setup
	$(BIN)/python -m pytest -m "not slow"

test-all: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts

clean:
	rm -rf $(VENV) rotordx-demo .pytest_cache
