#!/usr/bin/env bash
# Starts the service (on the embedded SQLite file unless DATABASE_URL says otherwise).
# Extra arguments go to `todo serve`, e.g. --port 9000 --workers 2.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec .venv/bin/todo serve "$@"
