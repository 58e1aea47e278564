"""Reminders of the real `todo serve` with two workers on Postgres: each fires once, on time; one that
fell due while the service was down fires once, late, when it comes back."""

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import httpx
import pytest

from tests.e2e.servers import Serve
from tests.e2e.sse import event_stream

pytestmark = [pytest.mark.e2e, pytest.mark.anyio, pytest.mark.postgres]


def reminders(stream_events: list[dict[str, object]]) -> list[dict[str, object]]:
    return [event for event in stream_events if event["type"] == "com.todo.task.reminder"]


async def test_a_reminder_due_in_two_seconds_arrives_once_within_a_second_of_its_time(
    serve: Serve, empty_postgres_database: str
) -> None:
    server = serve(empty_postgres_database, workers=2)
    user = f"reminded-{uuid4()}"
    due = datetime.now(UTC) + timedelta(seconds=2)
    async with (
        httpx.AsyncClient(base_url=server.base_url) as client,
        event_stream(client, f"/api/{user}/events") as stream,
    ):
        created = await client.post(f"/api/{user}/tasks", json={"title": "call Ann", "remind_at": due.isoformat()})
        assert created.status_code == 201, created.text
        await stream.wait_for_events(2, timeout=5.0)
        arrived = datetime.now(UTC)
        await asyncio.sleep(1.5)  # time enough for a second one, were there one

    events = [message.cloud_event for message in stream.events]
    assert [e["type"] for e in events] == ["com.todo.task.created", "com.todo.task.reminder"]
    reminder = events[1]
    assert reminder["subject"] == created.json()["id"]
    assert reminder["late"] is False
    assert reminder["data"]["remind_at"] == created.json()["remind_at"]
    fired = datetime.fromisoformat(str(reminder["time"]))
    assert timedelta(0) <= fired - due < timedelta(seconds=1)
    assert arrived - due < timedelta(seconds=2)


async def test_a_reminder_due_while_the_service_was_down_fires_once_late_after_the_restart(
    serve: Serve, empty_postgres_database: str
) -> None:
    user = f"reminded-{uuid4()}"
    first = serve(empty_postgres_database, workers=2)
    due = datetime.now(UTC) + timedelta(seconds=1)
    async with httpx.AsyncClient(base_url=first.base_url) as client:
        created = await client.post(f"/api/{user}/tasks", json={"title": "pay rent", "remind_at": due.isoformat()})
    assert created.status_code == 201
    first.stop()
    await asyncio.sleep(max((due - datetime.now(UTC)).total_seconds(), 0) + 1.5)

    second = serve(empty_postgres_database, workers=2)
    async with (
        httpx.AsyncClient(base_url=second.base_url) as client,
        event_stream(client, f"/api/{user}/events", **{"Last-Event-ID": "1"}) as stream,
    ):
        await stream.wait_for_events(1, timeout=5.0)
        await asyncio.sleep(1.5)

    events = [message.cloud_event for message in stream.events]
    assert [(e["type"], e["subject"], e["late"]) for e in events] == [
        ("com.todo.task.reminder", created.json()["id"], True)
    ]
    task = (await httpx.AsyncClient(base_url=second.base_url).get(f"/api/{user}/tasks")).json()[0]
    assert task["reminded_at"] == events[0]["time"]
