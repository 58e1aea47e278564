#!/usr/bin/env bash
# Runs the checks and the whole test suite. Extra arguments go to pytest, e.g. -k contract or -x.
# The checks first: lint and format (ruff) everywhere, strict types (mypy) on the service's packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements-test.lock  # the service's lock and the test tools
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy domain application adapters entrypoints
exec .venv/bin/python -m pytest "$@"
