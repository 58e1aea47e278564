#!/usr/bin/env bash
# The checks: lint and format (ruff) everywhere, strict types (mypy) on the service's packages, and on
# the tests and benchmarks (with the few relaxations pyproject.toml names). `--fix` mends what ruff can.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh requirements-test.lock  # the service's lock and the test tools
if [ "${1:-}" = "--fix" ]; then
  .venv/bin/ruff check --fix --quiet .
  .venv/bin/ruff format --quiet .
fi
.venv/bin/ruff check --quiet .
.venv/bin/ruff format --check --quiet .
.venv/bin/mypy domain application adapters entrypoints tests bench
