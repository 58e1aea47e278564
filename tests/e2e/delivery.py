"""What the delivery tests share: the sinks' settings, a writer under load, and the checks of what each
sink got (every owner's events, each first arriving after the one before it; the counts)."""

import asyncio
import re
import threading
from typing import Self

import httpx

from tests.e2e.servers import Server
from tests.sinks.services import KafkaCluster, NatsServer

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
OWNERS = [f"owner-{n}" for n in range(5)]


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
