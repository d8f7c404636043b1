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
.PHONY: help venv venv-test run test lint format lock clean clean-data

help:
	@echo "make run     install what running needs into $(VENV), migrate, load the demo if the database"
	@echo "             is empty, serve, and print the pages' addresses once it answers"
	@echo "             (HOST=... PORT=... override the bind address; COMMONFUND_DATABASE_URL the store)"
	@echo "make test    add the test tools, then ruff, ruff format --check, mypy, lint-imports, pytest (PYTEST_ARGS=...)"
	@echo "make lint    ruff, mypy, lint-imports"
	@echo "make format  ruff check --fix, then ruff format"
	@echo "make lock    re-resolve requirements/runtime.txt and dev.txt (with uv) after pyproject.toml changed"
	@echo "make clean   remove $(VENV) and build/tool caches (keeps var/, which holds the data)"

# Installs from the lock files (requirements/, made by `make lock`): every package pinned and
# its hash checked, so pip resolves nothing, and `make run` installs only what running needs.
# `make test` and `make lint` add the test tools on top. Two stamps, each touched last (a failed
# install is retried on the next make) and each remade only when its own inputs change.
venv: $(VENV)/.installed-runtime
venv-test: $(VENV)/.installed-test

PIP := $(BIN)/python -m pip --disable-pip-version-check

$(VENV)/.installed-runtime: requirements/runtime.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "commonfund needs Python >= 3.11; set PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --require-hashes -r requirements/runtime.txt
	$(PIP) install --no-deps -e .
	@# the project's own dependencies come from the lock: a missing one means the lock is stale
	@$(PIP) check >/dev/null || { $(PIP) check; echo "requirements/ is out of step with pyproject.toml: run make lock" >&2; exit 1; }
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed-runtime requirements/dev.txt
	$(PIP) install --require-hashes -r requirements/dev.txt
	touch $@

# Resolved from PyPI by uv (pip cannot write hashes; uv resolves in seconds), for every
# platform (--universal: a newcomer on macOS installs from the same files). Pins already in
# the files are kept unless pyproject.toml rules them out; UPGRADE=1 moves every pin to the
# newest allowed. dev.txt is constrained by runtime.txt, so both install the same versions.
UV_VERSION ?= 0.9
lock: $(BIN)/uv
	$(BIN)/uv pip compile --quiet pyproject.toml --universal --python-version 3.11 --generate-hashes \
		$(if $(UPGRADE),--upgrade) --custom-compile-command "make lock" -o requirements/runtime.txt
	$(BIN)/uv pip compile --quiet pyproject.toml --extra test --universal --python-version 3.11 \
		--generate-hashes -c requirements/runtime.txt $(if $(UPGRADE),--upgrade) \
		--custom-compile-command "make lock" -o requirements/dev.txt

$(BIN)/uv:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install 'uv>=$(UV_VERSION)'

# With COMMONFUND_DATABASE_URL unset the settings default to a SQLite file under ./var/.
run: venv
	$(BIN)/commonfund migrate
	$(BIN)/commonfund demo --if-empty
	$(BIN)/commonfund serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

# Cheapest checks first; make stops at the first step that fails.
test: venv-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n $(JOBS) -m "not restarts_postgres" $(PYTEST_ARGS)
	@# Alone and last: it restarts the PostgreSQL cluster the other tests use (skipped without it).
	$(BIN)/pytest -n 0 -m restarts_postgres $(PYTEST_ARGS)

lint: venv-test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Fixes first, formatting last: a fix (imports, pyupgrade) can leave lines to re-wrap.
# --exit-zero so formatting still runs; what is left unfixed is printed, and `make lint` fails on it.
format: venv-test
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
