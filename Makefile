# The two commands of the quick start: `make demo` and `make test`. Both create .venv and install the project.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast floors lint services benchmark clean

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

# The unit tests alone, in seconds: no crawl, subprocess, server, PostgreSQL or Redis (markers in pyproject.toml).
test-fast: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -m "not integration and not services and not slow"

# The oldest versions pyproject.toml admits, installed in a venv of their own, crawling the newsroom.
FLOORS := scrapy==2.15.0 trafilatura==2.0.0 htmldate==1.9.2 sqlalchemy==2.0.30 alembic==1.13.0 warcio==1.7.4
floors: $(BIN)/python
	$(PYTHON) -m venv .venv-floors
	.venv-floors/bin/python -m pip install --quiet -e . $(FLOORS)
	rm -rf .venv-floors/demo && .venv-floors/bin/newsarchive demo --articles 20 --data-dir .venv-floors/demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .

benchmark: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/newsroom.py
	$(BIN)/python benchmarks/crawl.py
	$(BIN)/python benchmarks/store.py
	$(BIN)/python benchmarks/warc.py

clean:
	rm -rf $(VENV) .venv-floors data .pytest_cache
