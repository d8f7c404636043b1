# The README's two commands, `make run` and `make test`, and a few helpers.
# Needs only python3 (>= 3.11) and make: everything else goes into .venv.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Empty by default, so the CLI's own defaults stay the one source of truth.
HOST ?=
PORT ?=
PYTEST_ARGS ?=
# pytest-xdist workers (each worker gets its own PostgreSQL test database)
JOBS ?= auto

.DEFAULT_GOAL := help
.PHONY: help venv run test lint format clean clean-data

help:
	@echo "make run     install into $(VENV), migrate, load the demo if the database is empty, serve"
	@echo "             (HOST=... PORT=... override the bind address; COMMONFUND_DATABASE_URL the store)"
	@echo "make test    ruff, ruff format --check, mypy, lint-imports, pytest (PYTEST_ARGS=...)"
	@echo "make lint    ruff, mypy, lint-imports"
	@echo "make format  ruff check --fix, then ruff format"
	@echo "make clean   remove $(VENV) and build/tool caches (keeps var/, which holds the data)"

venv: $(VENV)/.installed

# The stamp makes the install run again only when pyproject.toml changes; it is
# touched last, so a failed install is retried on the next make.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "commonfund needs Python >= 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test]'
	touch $@

# With COMMONFUND_DATABASE_URL unset the settings default to a SQLite file under ./var/.
run: venv
	$(BIN)/commonfund migrate
	$(BIN)/commonfund demo --if-empty
	$(BIN)/commonfund serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Cheapest checks first; make stops at the first step that fails.
test: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(JOBS) -m "not restarts_postgres" $(PYTEST_ARGS)
	@# Alone and last: it restarts the PostgreSQL cluster the other tests use (skipped without it).
	$(BIN)/pytest -n 0 -m restarts_postgres $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Fixes first, formatting last: a fix (imports, pyupgrade) can leave lines to re-wrap.
# --exit-zero so formatting still runs; what is left unfixed is printed, and `make lint` fails on it.
format: venv
	$(BIN)/ruff check --fix --exit-zero .
	$(BIN)/ruff format .

# var/ is not removed: it holds the SQLite database of `make run`.
clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache \
		.hypothesis .import_linter_cache
	find . -path ./var -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

# The data of `make run` (the SQLite file); the next `make run` loads a fresh demo.
clean-data:
	rm -rf var
