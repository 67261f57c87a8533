# Rabta: `make run` serves the whole system with demo data; `make test` runs lint and the suite.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export RABTA_VAR_DIR ?= $(CURDIR)/var
PYTEST_WORKERS ?= 2

.PHONY: install run test test-sqlite test-postgres lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

node_modules/.installed: package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.installed

run: install
	$(BIN)/rabta run --demo

# Lint loads the settings (mypy's Django plugin, makemigrations) in embedded test mode, so it needs
# no database and no production secrets.
lint: install
	$(BIN)/ruff check rabta bench tests conftest.py
	DATABASE_URL= RABTA_TESTING=1 $(BIN)/mypy
	$(BIN)/lint-imports
	DATABASE_URL= RABTA_TESTING=1 $(BIN)/rabta manage makemigrations --check --dry-run
	$(BIN)/djlint rabta --lint

# The whole suite on SQLite, and on PostgreSQL too when DATABASE_URL points at one.
test: lint test-sqlite
	@if [ -n "$$DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; fi

test-sqlite: install
	DATABASE_URL= RABTA_TESTING=1 $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider

# On PostgreSQL the fault tests run too, alone afterwards: they start their own Redis, web and
# worker processes and a throwaway PostgreSQL cluster, and time-sensitive work needs the cores.
test-postgres: install
	RABTA_TESTING=1 $(BIN)/pytest -n $(PYTEST_WORKERS) -p no:cacheprovider --ignore=tests/faults
	RABTA_TESTING=1 $(BIN)/pytest -p no:cacheprovider tests/faults

bench: install
	@for script in bench/*.py; do echo "# $$script" >&2; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) node_modules var
