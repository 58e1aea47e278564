"""The relay in the real `todo serve` on Postgres when a server dies: `kill -9` in the middle of a batch,
and two instances on one database, of which one delivers and the other takes over."""

import os
import signal
import time

import httpx
import psycopg
import pytest

from adapters.sinks.http import webhook_name
from tests.e2e.delivery import SECRET, check, metric, nats_events, sinks_env, written
from tests.e2e.servers import Serve
from tests.faults.services import wait_for
from tests.sinks.services import NatsServer, receiving

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_a_kill_9_in_the_middle_of_a_batch_loses_no_event(
    serve: Serve, empty_postgres_database: str, nats_server: NatsServer
) -> None:
    with receiving(SECRET) as webhook:
        env = sinks_env(nats=nats_server, TODO_EVENTS_WEBHOOK_URLS=webhook.url, TODO_EVENTS_WEBHOOK_SECRET=SECRET)
        server = serve(empty_postgres_database, env=env)
        with psycopg.connect(empty_postgres_database, autocommit=True) as connection:  # 2,000 events in one go
            connection.execute(
                "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at, tags) "
                "SELECT gen_random_uuid(), 'owner-' || (n % 5), 'task ' || n, false, now(), now(), '{}' "
                "FROM generate_series(1, 2000) AS n"
            )
        wait_for(lambda: len(webhook.received) > 50, 30, "the first deliveries")
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        at_kill = len(webhook.received)
        assert at_kill < 2000  # killed in the middle

        server = serve(empty_postgres_database, env=env)
        wait_for(lambda: len({(one.event["source"], one.event["id"]) for one in webhook.received}) >= 2000, 60, "all")
        last = written(server)
        assert sum(last.values()) == 2000
        counts = {
            "webhook": check("webhook", [one.event for one in webhook.received], last),
            "nats": check("nats", nats_events(nats_server), last),
        }
    print(f"kill -9 after {at_kill} webhook deliveries:", counts)


def test_of_two_instances_one_delivers_and_the_other_takes_over_within_5_s_of_a_kill(
    serve: Serve, empty_postgres_database: str
) -> None:
    with receiving(SECRET) as webhook:
        env = sinks_env(TODO_EVENTS_WEBHOOK_URLS=webhook.url, TODO_EVENTS_WEBHOOK_SECRET=SECRET)
        first, second = serve(empty_postgres_database, env=env), serve(empty_postgres_database, env=env)
        for n in range(20):
            httpx.post(f"{(first, second)[n % 2].base_url}/api/owner-0/tasks", json={"title": f"task {n}"})
        wait_for(lambda: len(webhook.received) >= 20, 20, "the first 20 events")
        sink = webhook_name(webhook.url)
        delivering = [metric(server, "todo_event_deliveries_total", sink) for server in (first, second)]
        assert sorted(delivering) == [0.0, 20.0]  # one relay delivered them all
        holder, survivor = (first, second) if delivering[0] else (second, first)

        os.killpg(holder.process.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        httpx.post(f"{survivor.base_url}/api/owner-0/tasks", json={"title": "after the kill"})
        wait_for(lambda: len(webhook.received) >= 21, 10, "the survivor to deliver")
        took_over = time.monotonic() - killed_at
        assert took_over <= 5.0
        assert webhook.received[-1].event["data"]["title"] == "after the kill"
        assert metric(survivor, "todo_event_deliveries_total", sink) >= 1
    print(f"takeover after kill -9: {took_over:.2f} s")
