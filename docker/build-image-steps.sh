#!/usr/bin/env bash
# The install steps of the Dockerfile's build stage. No Docker engine runs on
# our machines, so CI runs this same script (`.ci/run`) to keep the image's
# steps from rotting unseen.
#
# usage: docker/build-image-steps.sh [PREFIX]
#   PREFIX  where to create the virtualenv (the image uses /opt/venv); by
#           default a fresh temporary directory, removed at the end.
# PYTHON may name the interpreter (default python3).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-python3}

# Scratch space (source copy, wheel, and the venv unless PREFIX is given).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=${1:-$work/venv}

# Build from a copy of the tree: setuptools reuses an existing build/ and
# *.egg-info, so a module deleted from the source could linger in the wheel,
# and building in place would litter the work tree.
mkdir "$work/src" "$work/wheels"
tar -C "$repo" -cf - \
    --exclude=./.git --exclude=./.venv --exclude=./var --exclude=./build --exclude=./dist \
    --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache --exclude=.ruff_cache \
    --exclude=.pytest_cache --exclude=.hypothesis --exclude=.import_linter_cache \
    . | tar -C "$work/src" -xf -

"$python" -m venv "$prefix"
prefix=$(cd "$prefix" && pwd)  # absolute, since the smoke checks run elsewhere
pip=("$prefix/bin/python" -m pip --disable-pip-version-check)
"${pip[@]}" wheel --no-deps -w "$work/wheels" "$work/src"
wheels=("$work"/wheels/commonfund-*.whl)
[ ${#wheels[@]} -eq 1 ] && [ -f "${wheels[0]}" ] || { echo "expected one commonfund wheel, found: ${wheels[*]}" >&2; exit 1; }
# What running needs, exactly as locked (requirements/runtime.txt, `make lock`): every
# package pinned and its hash checked; then the wheel alone, not editable (the image keeps
# only the venv, not the source), taking nothing from the index.
"${pip[@]}" install --require-hashes -r "$work/src/requirements/runtime.txt"
"${pip[@]}" install --no-deps "${wheels[0]}"
"${pip[@]}" check  # the lock holds every dependency pyproject.toml names

# Smoke checks, run from outside the source tree so that Python finds the
# installed packages and not the checkout in the current directory.
cd "$work"
"$prefix/bin/commonfund" --help >/dev/null
"$prefix/bin/python" - <<'PY'
import importlib.resources
import importlib.util
import sys

import api
import commonfund
import ledger
import migrations

# runtime only: none of the test tools (requirements/dev.txt) come into the image
for tool in ("pytest", "mypy", "playwright", "schemathesis", "hypothesis", "ruff"):
    assert importlib.util.find_spec(tool) is None, f"{tool} is installed in the image"

for package in (api, commonfund, ledger, migrations):
    origin = next(iter(package.__path__))
    assert origin.startswith(sys.prefix), f"{package.__name__} imported from {origin}, not the venv"
sql = [p.name for p in importlib.resources.files("migrations").iterdir() if p.name.endswith(".sql")]
assert sql, "the wheel carries no migrations/*.sql"
print(f"installed commonfund into {sys.prefix}: {len(sql)} migration file(s)")
PY
