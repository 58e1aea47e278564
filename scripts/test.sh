#!/usr/bin/env bash
# Runs the checks (scripts/lint.sh) and the whole test suite. Extra arguments go to pytest, e.g. -k contract or -x.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/lint.sh

# The tests, in two runs that both get the extra arguments: first, alone, those that stop the shared
# Postgres (marked stops_postgres); then all the others in 4 worker processes (pytest-xdist: most tests
# wait on servers and subprocesses, so more workers than the machine's 2 cores pay). --dist loadfile
# keeps each file in one worker: a module's servers start once, and tests that read what an earlier
# one left (the stateful schemathesis run) find it. A -n among the extra arguments sets the workers.
# Exit 5 is pytest's "no test selected": the suite fails with it only when neither run selected any.
alone=0
.venv/bin/python -m pytest --postgres-stops only "$@" -n 0 || alone=$?
parallel=0
.venv/bin/python -m pytest -n 4 --dist loadfile --postgres-stops leave-out "$@" || parallel=$?
for status in "$alone" "$parallel"; do
  if [ "$status" -ne 0 ] && [ "$status" -ne 5 ]; then exit "$status"; fi
done
if [ "$alone" -eq 5 ] && [ "$parallel" -eq 5 ]; then exit 5; fi

# The whole suite (no extra arguments) ends with the performance guard a noisy machine allows: the
# instructions each request costs, counted by valgrind on the SQLite store, for the service and the
# framework floor, none more than 3% over bench/instruction-budget.json (docs/performance.md).
if [ "$#" -eq 0 ]; then
  .venv/bin/python -m bench.instructions --store sqlite --check bench/instruction-budget.json
fi
exit 0
