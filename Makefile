# The two commands of the quick start: `make demo` and `make test`. Both create .venv and install the project.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint services benchmark clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "newsarchive needs Python >= 3.11 (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/newsarchive demo

services:
	bash .ci/services

test: $(VENV)/.installed-dev services
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

benchmark: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/newsroom.py
	$(BIN)/python benchmarks/crawl.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/warc.py

clean:
	rm -rf $(VENV) data .pytest_cache
