#!/usr/bin/env bash
# The benchmark, one command: bash bench/run.sh [--duration 10] [--rounds 2] ...
# Runs on Postgres, then on a fresh SQLite file (--store postgres|sqlite|both). Needs a Postgres
# server for the first (BENCH_POSTGRES_URL, default the local one) and wrk (installed if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else echo "wrk is needed: sudo apt-get install wrk" >&2; exit 1; fi
fi
exec .venv/bin/python -m bench.run "$@"
