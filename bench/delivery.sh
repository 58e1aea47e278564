#!/usr/bin/env bash
# Delivery to NATS: its cost under load, its lag and its drain rate. bash bench/delivery.sh [--store postgres] ...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
if ! command -v wrk >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else echo "wrk is needed: sudo apt-get install wrk" >&2; exit 1; fi
fi
exec .venv/bin/python -m bench.delivery "$@"
