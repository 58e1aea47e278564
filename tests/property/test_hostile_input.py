"""Hostile input at volume, with Hypothesis: nothing a client sends makes a 5xx, and no one else's data moves.

Each request is built as a client on the wire could send it and reaches the app as an ASGI server
hands it over (wire.py). A request starts valid and then has one to three aspects made hostile:
path parameters, method, query string, headers, body or framing (hostile.py). Before the random
requests, a catalogue sends every hand-picked hostile value once at every place it fits, in an
otherwise valid request (catalogue.py, about 3,100 requests).

Each answer must be below 500; a 4xx an RFC 9457 problem (`status` = the HTTP status) that leaks
nothing; `X-Request-ID` must follow its rule; an answer below 400 holds only the path owner's tasks,
and never answers for a victim's task id (oracle.py). Around the run, the victims' tasks (created
through the API) are read back, list and each task with its ETag, and must be identical; replaying
their creation with the same Idempotency-Key must still answer the very task it created (attack.py).

Findings are collected over the whole run (not stopped at the first), grouped, and reported with
the shortest request of each group and the exception the service logged for it. Runs on
`memory://`, SQLite and (a smaller budget) Postgres, so driver errors (NUL, bad encodings,
overflowing integers and dates) show as 5xx. Derandomized: every run sends the same requests.
"""

from typing import Any

import pytest

from tests.property.attack import attack

# Random requests per run, on top of the catalogue (about 3,100 hand-picked ones, sent on every store).
MEMORY_EXAMPLES = 3000
SQLITE_EXAMPLES = 1000
POSTGRES_EXAMPLES = 1000


def test_hostile_input_in_memory(record_property: Any) -> None:
    attack("memory://", MEMORY_EXAMPLES, "fuzz memory://", record_property)


def test_hostile_input_on_sqlite(sqlite_url: str, record_property: Any) -> None:
    attack(sqlite_url, SQLITE_EXAMPLES, "fuzz sqlite", record_property)


@pytest.mark.postgres
def test_hostile_input_on_postgres(postgres_url: str, record_property: Any) -> None:
    attack(postgres_url, POSTGRES_EXAMPLES, "fuzz postgres", record_property)
