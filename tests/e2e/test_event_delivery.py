"""The relay in the real `todo serve` on Postgres, with every sink on: sinks that go down under load,
a `kill -9` in the middle of a batch, two instances on one database, a webhook that always fails.

What each sink got is read from the sink itself: the NATS stream, the Kafka topic (librdkafka's mock
cluster), the webhook receiver, the receiver standing for Dapr's publish endpoint."""

import asyncio
import os
import re
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import httpx
import psycopg
import pytest

from adapters.sinks.http import webhook_name
from tests.e2e.servers import Serve, Server
from tests.faults.services import wait_for
from tests.sinks.services import KafkaCluster, NatsServer, Receiver, receiving

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OWNERS = [f"owner-{n}" for n in range(5)]


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def kafka() -> Iterator[KafkaCluster]:
    cluster = KafkaCluster()
    yield cluster
    cluster.close()


def sinks_env(*, nats: NatsServer | None = None, kafka: KafkaCluster | None = None, **more: str) -> dict[str, str]:
    env = {"TODO_EVENTS_RETRY_MAX": "1", "TODO_ACCESS_LOG": "false"} | more
    if nats:
        env["TODO_EVENTS_NATS_URL"] = nats.url
    if kafka:
        env["TODO_EVENTS_KAFKA_BROKERS"] = kafka.brokers
    return env


class Writer:
    """Creates tasks and completes every other one, round the owners, from a thread, until stopped;
    counts the answers by status."""

    def __init__(self, server: Server) -> None:
        self.statuses: dict[int, int] = {}
        self._server = server
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._write)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _write(self) -> None:
        with httpx.Client(base_url=self._server.base_url, timeout=10) as client:
            n = 0
            while not self._stop.is_set():
                owner = OWNERS[n % len(OWNERS)]
                made = client.post(f"/api/{owner}/tasks", json={"title": f"task {n}"})
                self._count(made.status_code)
                if n % 2 == 0 and made.status_code == 201:
                    self._count(client.patch(f"/api/{owner}/tasks/{made.json()['id']}/complete").status_code)
                n += 1

    def _count(self, status: int) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1


def written(server: Server) -> dict[str, int]:
    """Each owner's last position, from the change feed."""
    last = {}
    for owner in OWNERS:
        token = "0"
        while (
            page := httpx.get(f"{server.base_url}/api/{owner}/changes", params={"after": token, "limit": 200})
        ).json()["events"]:
            token = page.json()["next"]
        last[owner] = int(re.sub(r"~.*", "", token))
    return last


def arrivals(events: list[dict[str, object]]) -> dict[str, list[int]]:
    """Each owner's event ids in the order the sink got them (repeats included)."""
    found: dict[str, list[int]] = {}
    for event in events:
        owner = str(event["source"]).split("/")[2]
        found.setdefault(owner, []).append(int(str(event["id"])))
    return found


def check(name: str, events: list[dict[str, object]], last: dict[str, int]) -> dict[str, int]:
    """Every owner's events 1..last arrived, and each first arrived after the one before it;
    the counts for the closing note."""
    got = arrivals(events)
    for owner, through in last.items():
        firsts = list(dict.fromkeys(got.get(owner, [])))
        assert firsts == list(range(1, through + 1)), f"{name}: {owner}'s events arrived as {firsts[:20]}..."
    delivered = sum(len(ids) for ids in got.values())
    unique = sum(len(set(ids)) for ids in got.values())
    return {"written": sum(last.values()), "delivered": unique, "repeated": delivered - unique, "missing": 0}


def nats_events(server: NatsServer) -> list[dict[str, object]]:
    return [event for _, _, event in asyncio.run(server.messages())]


def kafka_events(cluster: KafkaCluster, count: int) -> list[dict[str, object]]:
    return [event for _, _, event in cluster.messages("task-events", count=count, timeout=60)]


def metric(server: Server, name: str, sink: str) -> float:
    text = httpx.get(f"{server.base_url}/metrics").text
    found = re.search(rf'^{name}\{{sink="{sink}"\}} (\S+)$', text, re.MULTILINE)
    return float(found[1]) if found else 0.0


def test_every_sink_down_for_10_s_under_write_load_gets_every_event_after_in_order(
    serve: Serve, empty_postgres_database: str, nats_server: NatsServer, kafka: KafkaCluster
) -> None:
    with receiving(SECRET) as webhook, receiving() as dapr:
        env = sinks_env(
            nats=nats_server,
            kafka=kafka,
            TODO_EVENTS_WEBHOOK_URLS=webhook.url,
            TODO_EVENTS_WEBHOOK_SECRET=SECRET,
            TODO_EVENTS_DAPR_URL=dapr.url,
        )
        server = serve(empty_postgres_database, env=env)
        with Writer(server) as writer:
            time.sleep(2)
            nats_server.stop()
            kafka.pause()
            webhook.stop()
            dapr.stop()
            time.sleep(10)
            during = dict(writer.statuses)
            nats_server.start()
            kafka.resume()
            webhook.start()
            dapr.start()
            time.sleep(2)
        assert set(writer.statuses) <= {200, 201}, writer.statuses
        assert sum(during.values()) > 100  # the writes went on while every sink was down
        last = written(server)
        total = sum(last.values())
        wait_for(lambda: len({(e["source"], e["id"]) for e in nats_events(nats_server)}) >= total, 60, "NATS")
        wait_for(lambda: len({(one.event["source"], one.event["id"]) for one in webhook.received}) >= total, 60, "hook")
        wait_for(lambda: len({(one.event["source"], one.event["id"]) for one in dapr.received}) >= total, 60, "Dapr")
        counts = {
            "nats": check("nats", nats_events(nats_server), last),
            "kafka": check("kafka", kafka_events(kafka, total), last),
            "webhook": check("webhook", [one.event for one in webhook.received], last),
            "dapr": check("dapr", [one.event for one in dapr.received], last),
        }
        assert all(one.verified for one in webhook.received)
        assert metric(server, "todo_event_delivery_failures_total", "nats") > 0
    print("sinks down 10 s:", counts)


def test_a_kill_9_in_the_middle_of_a_batch_loses_no_event(
    serve: Serve, empty_postgres_database: str, nats_server: NatsServer
) -> None:
    with receiving(SECRET) as webhook:
        env = sinks_env(nats=nats_server, TODO_EVENTS_WEBHOOK_URLS=webhook.url, TODO_EVENTS_WEBHOOK_SECRET=SECRET)
        server = serve(empty_postgres_database, env=env)
        with psycopg.connect(empty_postgres_database, autocommit=True) as connection:  # 4,000 events in one go
            connection.execute(
                "INSERT INTO tasks (id, user_id, title, completed, created_at, updated_at, tags) "
                "SELECT gen_random_uuid(), 'owner-' || (n % 5), 'task ' || n, false, now(), now(), '{}' "
                "FROM generate_series(1, 4000) AS n"
            )
        wait_for(lambda: len(webhook.received) > 50, 30, "the first deliveries")
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
        at_kill = len(webhook.received)
        assert at_kill < 4000  # killed in the middle

        server = serve(empty_postgres_database, env=env)
        wait_for(lambda: len({(one.event["source"], one.event["id"]) for one in webhook.received}) >= 4000, 60, "all")
        last = written(server)
        assert sum(last.values()) == 4000
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


def test_a_webhook_that_answers_500_forever_holds_back_neither_nats_nor_kafka_nor_the_requests(
    serve: Serve, empty_postgres_database: str, nats_server: NatsServer, kafka: KafkaCluster
) -> None:
    failing = Receiver(SECRET, status=500)
    failing.start()
    try:
        env = sinks_env(
            nats=nats_server, kafka=kafka, TODO_EVENTS_WEBHOOK_URLS=failing.url, TODO_EVENTS_WEBHOOK_SECRET=SECRET
        )
        server = serve(empty_postgres_database, env=env)
        with httpx.Client(base_url=server.base_url) as client:
            answers = [client.post("/api/owner-1/tasks", json={"title": f"task {n}"}) for n in range(200)]
        assert {answer.status_code for answer in answers} == {201}
        last = {"owner-1": 200}
        wait_for(lambda: len(nats_events(nats_server)) >= 200, 30, "NATS")
        check("nats", nats_events(nats_server), last)
        check("kafka", kafka_events(kafka, 200), last)
        sink = webhook_name(failing.url)
        wait_for(lambda: metric(server, "todo_event_delivery_failures_total", sink) >= 2, 20, "retries")
        assert failing.refused >= 2
        assert metric(server, "todo_event_sink_backlog", sink) == 200
        assert metric(server, "todo_event_sink_backlog", "nats") == 0
    finally:
        failing.stop()
