# The developer loop, each target one of the project's scripts. The README's two commands
# (`bash scripts/serve.sh`, `bash scripts/test.sh`) need no make at all.
.PHONY: help serve test test-fast lint fix bench migrate

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' Makefile | sed 's/:.*## /\t/'

serve:  ## start the service (DATABASE_URL, TODO_* settings; embedded SQLite by default)
	bash scripts/serve.sh

test:  ## the checks, then every test (what CI runs)
	bash scripts/test.sh

test-fast:  ## the checks, then the tests that need no server process or Postgres (about a minute)
	bash scripts/test.sh -m "not e2e and not postgres" tests/unit tests/contract tests/http

lint:  ## ruff and mypy, as CI runs them
	bash scripts/lint.sh

fix:  ## let ruff mend what it can, then check
	bash scripts/lint.sh --fix

bench:  ## the wall-clock benchmark against the references (about 12 minutes)
	bash bench/run.sh

migrate:  ## apply pending migrations to the store DATABASE_URL names
	bash scripts/bootstrap.sh && .venv/bin/todo migrate
