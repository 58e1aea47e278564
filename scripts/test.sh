#!/usr/bin/env bash
# Runs the whole test suite. Extra arguments go to pytest, e.g. -k contract or -x.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/python -m pytest "$@"
