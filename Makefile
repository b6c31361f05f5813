# ParkHQ — `make demo` runs the app on demo data, `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
export PARKHQ_DATABASE_URL ?= sqlite:///./var/parkhq.db

.PHONY: demo test lint typecheck pytest install install-dev serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(PY) -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	mkdir -p var
	$(BIN)/parkhq db upgrade
	$(BIN)/parkhq demo load --seed 42
	$(BIN)/parkhq demo users
	$(BIN)/parkhq serve --host 127.0.0.1 --port 8000

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install-dev
	$(BIN)/mypy

pytest: install-dev
	$(BIN)/pytest -q

test: lint typecheck pytest

clean:
	rm -rf var .mypy_cache .ruff_cache
