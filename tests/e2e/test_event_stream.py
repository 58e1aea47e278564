"""The live event stream of the real `todo serve`: across workers, across a restart, and at its limits."""

import asyncio
import contextlib
import socket
import time
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from adapters.sql.psycopg_database import PsycopgDatabase
from adapters.sql.sqlite_database import SqliteDatabase
from adapters.sql.store import SqlTaskStore
from domain.task import utc_now
from tests.e2e.servers import Serve, Server
from tests.e2e.sse import event_stream

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


def owner() -> str:
    return f"streamer-{uuid4()}"


async def test_a_change_through_either_worker_reaches_every_stream_within_a_second(
    two_worker_server: Server,
) -> None:
    user = owner()
    url = f"{two_worker_server.base_url}/api/{user}/events"
    async with contextlib.AsyncExitStack() as held:
        # Sixteen streams, each on a connection of its own: with two workers, both hold some of
        # them (all sixteen on one worker: 1 run in 32,768).
        streams = []
        for _ in range(16):
            client = await held.enter_async_context(httpx.AsyncClient())
            stream = await held.enter_async_context(event_stream(client, url))
            assert stream.response.status_code == 200
            assert stream.response.headers["content-type"].startswith("text/event-stream")
            streams.append(stream)
        for n in range(4):
            async with httpx.AsyncClient() as writer:  # a new connection: either worker
                sent = time.monotonic()
                created = await writer.post(f"{two_worker_server.base_url}/api/{user}/tasks", json={"title": f"t{n}"})
            assert created.status_code == 201
            for stream in streams:
                events = await stream.wait_for_events(n + 1, timeout=1.0)
                assert events[n].cloud_event["data"] == created.json()
            assert time.monotonic() - sent < 1.0
    assert [[m.id for m in s.events] for s in streams] == [["1", "2", "3", "4"]] * 16


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_a_restart_resumed_with_last_event_id_loses_and_repeats_nothing(
    serve: Serve, database: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = (
        f"sqlite:///{tmp_path / 'tasks.sqlite3'}"
        if database == "sqlite"
        else request.getfixturevalue("empty_postgres_database")
    )
    user = owner()
    first = serve(url)
    async with (
        httpx.AsyncClient(base_url=first.base_url) as client,
        event_stream(client, f"/api/{user}/events") as stream,
    ):
        for n in range(3):
            assert (await client.post(f"/api/{user}/tasks", json={"title": f"t{n}"})).status_code == 201
        await stream.wait_for_events(3, timeout=2.0)
        stopping = time.monotonic()
        first.stop()
        await asyncio.wait_for(_ended(stream), 2.0)
    assert time.monotonic() - stopping < 5.0  # streams did not hold the shutdown to its grace period
    assert "Finished server process" in first.output()
    assert '"route":"/api/{user_id}/events","status":200' in first.output()
    last_seen = stream.events[-1].id
    assert [m.id for m in stream.events] == ["1", "2", "3"]

    second = serve(url)
    async with httpx.AsyncClient(base_url=second.base_url) as client:
        made = await client.post(f"/api/{user}/tasks", json={"title": "while away"})
        assert (await client.patch(f"/api/{user}/tasks/{made.json()['id']}/complete")).status_code == 200
        async with event_stream(client, f"/api/{user}/events", **{"Last-Event-ID": str(last_seen)}) as resumed:
            await resumed.wait_for_events(2, timeout=2.0)
            await client.delete(f"/api/{user}/tasks/{made.json()['id']}")
            events = await resumed.wait_for_events(3, timeout=2.0)
    assert [(m.id, m.event) for m in events] == [
        ("4", "com.todo.task.created"),
        ("5", "com.todo.task.completed"),
        ("6", "com.todo.task.deleted"),
    ]
    assert events[2].cloud_event["data"] == {"id": made.json()["id"], "deleted": True}


async def _ended(stream) -> None:  # type: ignore[no-untyped-def]
    while not stream.ended:
        await asyncio.sleep(0.02)


async def test_the_stream_answers_at_its_limits(serve: Serve, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = serve(
        f"sqlite:///{tmp_path / 'tasks.sqlite3'}", env={"TODO_MAX_STREAMS": "2", "TODO_STREAM_HEARTBEAT": "0.3"}
    )
    user = owner()
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get(f"/api/{user}/events?after=abc")).status_code == 400
        gone = await client.get(f"/api/{user}/events?after=7")
        assert (gone.status_code, gone.headers["content-type"]) == (410, "application/problem+json")
        async with (
            event_stream(client, f"/api/{user}/events") as one,
            event_stream(client, f"/api/{user}/events") as two,
        ):
            assert (one.response.status_code, two.response.status_code) == (200, 200)
            assert one.response.headers["cache-control"] == "no-cache"
            refused = await client.get(f"/api/{user}/events")
            assert (refused.status_code, refused.headers["retry-after"]) == (503, "2")
            assert refused.json()["status"] == 503
            await asyncio.sleep(0.8)
            assert [m.comment for m in one.messages if m.comment] == ["keep-alive"] * len(
                [m for m in one.messages if m.comment]
            )
            assert len([m for m in one.messages if m.comment]) >= 2
        await asyncio.sleep(0.2)
        async with event_stream(client, f"/api/{user}/events") as again:  # the ended ones were counted out
            assert again.response.status_code == 200


async def open_store(url: str) -> SqlTaskStore:
    """The store of a running server's database, reached as another worker would reach it."""
    if url.startswith("sqlite:///"):
        store = SqlTaskStore(SqliteDatabase(url.removeprefix("sqlite:///")), "sqlite")
    else:
        store = SqlTaskStore(PsycopgDatabase(url, pool_size=1, timeout=5.0), "postgresql")
    await store.open()
    return store


async def a_retention_pass_two_days_on(url: str, user: str) -> int:
    """What a worker's retention pass does to the owner's feed once the clock has moved two days on,
    with a day kept (TODO_EVENT_RETENTION_DAYS=1)."""
    store = await open_store(url)
    try:
        return await store.prune_events(user, recorded_before=utc_now() + timedelta(days=2 - 1), limit=10_000)
    finally:
        await store.close()


async def test_after_retention_a_stream_from_nothing_sends_every_live_task_and_resumes_after_it(
    serve: Serve, store_url: str
) -> None:
    user = owner()
    server = serve(store_url, env={"TODO_EVENT_RETENTION_DAYS": "1"})
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        live = [(await client.post(f"/api/{user}/tasks", json={"title": f"t{n}"})).json() for n in range(520)]
        passing = (await client.post(f"/api/{user}/tasks", json={"title": "passing"})).json()
        await client.delete(f"/api/{user}/tasks/{passing['id']}")
        assert await a_retention_pass_two_days_on(store_url, user) == 2  # positions 521 and 522

        async with event_stream(client, f"/api/{user}/events") as stream:
            events = await stream.wait_for_events(520, timeout=10.0)
            assert not stream.ended
        assert [m.cloud_event["data"] for m in events] == live  # past the first 500 too
        assert events[-1].id == "522"  # nothing kept lies between the last task and what was removed

        made = (await client.post(f"/api/{user}/tasks", json={"title": "after"})).json()
        async with event_stream(client, f"/api/{user}/events", **{"Last-Event-ID": events[-1].id}) as resumed:
            assert resumed.response.status_code == 200
            assert [m.cloud_event["data"] for m in await resumed.wait_for_events(1, timeout=2.0)] == [made]
    assert "Traceback" not in server.output()


async def test_a_stream_resumed_from_a_replay_below_what_retention_removed_loses_nothing(
    serve: Serve, store_url: str
) -> None:
    user = owner()
    server = serve(store_url)
    async with httpx.AsyncClient(base_url=server.base_url) as client:
        first = (await client.post(f"/api/{user}/tasks", json={"title": "t1"})).json()
        second = (await client.post(f"/api/{user}/tasks", json={"title": "t2"})).json()
        await client.delete(f"/api/{user}/tasks/{second['id']}")
        assert await a_retention_pass_two_days_on(store_url, user) == 2

        async with event_stream(client, f"/api/{user}/events") as stream:
            (only,) = await stream.wait_for_events(1, timeout=2.0)
        assert (only.id, only.cloud_event["data"]) == ("3", first)
        async with event_stream(client, f"/api/{user}/events", **{"Last-Event-ID": only.id}) as resumed:
            assert resumed.response.status_code == 200


async def test_streams_left_before_their_first_message_free_their_slots(serve: Serve, tmp_path) -> None:  # type: ignore[no-untyped-def]
    server = serve(f"sqlite:///{tmp_path / 'tasks.sqlite3'}", env={"TODO_MAX_STREAMS": "250"})
    port = int(server.base_url.rsplit(":", 1)[1])
    request = f"GET /api/{owner()}/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    for _ in range(1000):
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(request)

    async with httpx.AsyncClient(base_url=server.base_url) as client:
        deadline = time.monotonic() + 5.0
        while (open_streams := _gauge(await client.get("/metrics"), "todo_event_streams_open")) and (
            time.monotonic() < deadline
        ):
            await asyncio.sleep(0.1)
        assert open_streams == 0
        async with event_stream(client, f"/api/{owner()}/events") as stream:
            assert stream.response.status_code == 200


def _gauge(response: httpx.Response, name: str) -> float:
    return next(float(line.split()[-1]) for line in response.text.splitlines() if line.startswith(f"{name} "))
