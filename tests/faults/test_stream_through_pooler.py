"""The live event stream behind a transaction-mode pooler, where LISTEN/NOTIFY cannot work: a change
made through one instance reaches a stream held by another, both behind our own PgBouncer."""

import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.e2e.servers import Serve
from tests.e2e.sse import event_stream
from tests.faults.services import pgbouncer, with_port

pytestmark = [pytest.mark.postgres, pytest.mark.e2e, pytest.mark.anyio]


async def test_a_change_through_one_instance_reaches_a_stream_on_another_through_pgbouncer(
    serve: Serve, todo_vars: dict[str, str], empty_postgres_database: str, tmp_path: Path
) -> None:
    todo_vars["TODO_DB_PREPARED_STATEMENTS"] = "false"  # what PgBouncer before 1.21 needs
    todo_vars["TODO_DB_POOL_SIZE"] = "2"
    user = f"pooled-{uuid.uuid4()}"
    with pgbouncer(tmp_path) as bouncer:
        url = with_port(empty_postgres_database, bouncer.port)
        holder, writer = serve(url), serve(url)
        async with (
            httpx.AsyncClient() as client,
            event_stream(client, f"{holder.base_url}/api/{user}/events") as stream,
        ):
            assert stream.response.status_code == 200
            for n in range(3):
                sent = time.monotonic()
                created = await client.post(f"{writer.base_url}/api/{user}/tasks", json={"title": f"t{n}"})
                assert created.status_code == 201
                events = await stream.wait_for_events(n + 1, timeout=1.0)
                assert time.monotonic() - sent < 1.0
                assert events[n].cloud_event["data"] == created.json()
        assert "login attempt" in bouncer.output()
    assert [m.id for m in stream.events] == ["1", "2", "3"]
