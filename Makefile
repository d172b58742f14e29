# OneWindow — two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
export ONEWINDOW_VAR_DIR ?= $(CURDIR)/var
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/onewindow

.PHONY: setup run test lint types checks test-sqlite test-postgres bench clean

## setup: idempotent — virtualenv, Python and front-end dependencies, vendored assets
setup: $(VENV)/.installed onewindow/portal/static/vendor/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

onewindow/portal/static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p onewindow/portal/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/echarts/dist/echarts.min.js onewindow/portal/static/vendor/
	touch $@

## run: set up, migrate the embedded SQLite database, load the demo once, serve with the worker
run: setup
	ONEWINDOW_DEBUG=1 $(BIN)/onewindow migrate --noinput
	ONEWINDOW_DEBUG=1 $(BIN)/onewindow demo --if-empty
	@echo; cat $(ONEWINDOW_VAR_DIR)/demo-accounts.txt; echo
	ONEWINDOW_DEBUG=1 $(BIN)/onewindow serve --no-migrate

## test: set up, then lint, types, contracts, migrations, and the whole suite (SQLite + PostgreSQL)
test: setup checks test-sqlite test-postgres

checks: lint types
	ONEWINDOW_TESTING=1 $(BIN)/onewindow makemigrations --check --dry-run
	$(BIN)/lint-imports

lint:
	$(BIN)/ruff check onewindow bench tests conftest.py

types:
	ONEWINDOW_TESTING=1 $(BIN)/mypy onewindow

test-sqlite:
	ONEWINDOW_TESTING=1 $(BIN)/pytest -q -p no:cacheprovider

# In CI a missing PostgreSQL fails the run; elsewhere it is skipped with the reason printed.
test-postgres:
	@if $(PY) scripts/pg_ready.py "$(PG_TEST_URL)"; then \
	  ONEWINDOW_TESTING=1 DATABASE_URL="$(PG_TEST_URL)" $(BIN)/pytest -q -p no:cacheprovider; \
	elif [ "$$CI" = "true" ]; then \
	  echo "PostgreSQL at $(PG_TEST_URL) is unreachable: CI requires it." >&2; exit 1; \
	else \
	  echo "SKIPPED: PostgreSQL tests — $(PG_TEST_URL) is unreachable (set PG_TEST_URL)."; \
	fi

bench: setup
	DATABASE_URL="$(PG_TEST_URL)_bench" ONEWINDOW_TESTING=1 $(PY) bench/run_all.py

clean:
	rm -rf $(VENV) node_modules onewindow/portal/static/vendor staticfiles
