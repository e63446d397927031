# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi

.PHONY: run serve test lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps re-install only when the dependencies change.
$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.installed-run

## run: install, migrate, seed the demo store and serve it on http://127.0.0.1:5000
run: $(VENV)/.installed-run
	$(FLASK) check-db
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) run --host 127.0.0.1 --port 5000

## serve: the same store under gunicorn (set DATABASE_URL for PostgreSQL)
serve: $(VENV)/.installed-run
	$(FLASK) db upgrade
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:8000 wsgi:app

## test: every test (SQLite; PostgreSQL too when TEST_DATABASE_URL is set)
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.installed-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## bench: benchmarks (never part of `make test`): pricing micro-benchmark, then the load
## benchmark (wrk against gunicorn on SQLite and PostgreSQL; see bench/load.py)
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/bench_pricing.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache
