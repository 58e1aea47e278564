#!/usr/bin/env bash
# Creates .venv once and installs a lock file's dependencies and the service into it: requirements.lock
# (what the service runs on) unless another is named, e.g. requirements-test.lock (that and the test tools).
# Needs only Python 3.11+ and pip. Re-runs are instant until the lock file or pyproject.toml change.
set -euo pipefail
cd "$(dirname "$0")/.."
lock=${1:-requirements.lock}
python=${PYTHON:-python3}
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "Python 3.11 or newer is needed" >&2; exit 1; }
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(cat "$lock" pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes -r "$lock"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f .venv/.installed-* && touch "$stamp"
fi
