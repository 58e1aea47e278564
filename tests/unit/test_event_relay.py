"""The relay on the in-memory store, with sinks of the test's own: what reaches a sink, in what order,
when a sink fails, and which of two relays delivers."""

import asyncio
from collections.abc import Sequence

import pytest

from adapters.memory import InMemoryTaskStore
from application import relay as relay_module
from application.relay import DeliveryFailed, EventRelay, back_off
from application.tasks import TaskService
from domain.events import RelayedEvent
from domain.task import TaskDraft

pytestmark = pytest.mark.anyio


class Sink:
    """Keeps what it is given; fails the first `failures` batches, taking `takes` events of each first."""

    def __init__(self, name: str, *, failures: int = 0, takes: int = 0) -> None:
        self.name = name
        self.failures = failures
        self.takes = takes
        self.received: list[tuple[str, int]] = []
        self.closed = False

    async def deliver(self, events: Sequence[RelayedEvent]) -> None:
        if self.failures:
            self.failures -= 1
            self.received += [(r.event.user_id, r.event.position) for r in events[: self.takes]]
            raise DeliveryFailed(f"{self.name} is down")
        self.received += [(r.event.user_id, r.event.position) for r in events]

    async def close(self) -> None:
        self.closed = True


class Counted:
    def __init__(self) -> None:
        self.events: dict[str, int] = {}
        self.failures: dict[str, int] = {}

    def delivered(self, sink: str, events: int) -> None:
        self.events[sink] = self.events.get(sink, 0) + events

    def failed(self, sink: str) -> None:
        self.failures[sink] = self.failures.get(sink, 0) + 1


@pytest.fixture(autouse=True)
def quick_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(relay_module, "RENEW", 0.02)
    monkeypatch.setattr(relay_module, "LEASE", 0.1)


async def write(tasks: TaskService, owners: Sequence[str], count: int) -> None:
    for n in range(count):
        for owner in owners:
            await tasks.create(owner, draft=TaskDraft(f"task {n}"))


def in_order_per_owner(received: list[tuple[str, int]]) -> bool:
    last: dict[str, int] = {}
    for owner, position in received:
        if position < last.get(owner, 0):
            return False
        last[owner] = position
    return True


async def until(condition: object, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # type: ignore[operator]
            await asyncio.sleep(0.01)


async def test_every_event_reaches_every_sink_once_each_owners_in_order(user: str, other_user: str) -> None:
    owner, other = user, other_user
    store = InMemoryTaskStore()
    tasks, first, second = TaskService(store), Sink("first"), Sink("second")
    relay = EventRelay(store, [first, second], observer=Counted(), poll_interval=0.01)
    await write(tasks, [owner, other], 300)  # more than a batch
    await relay.start()
    await write(tasks, [owner, other], 10)

    expected = {(who, p) for who in (owner, other) for p in range(1, 311)}
    await until(lambda: len(first.received) == len(second.received) == 620)
    await relay.stop()

    for sink in (first, second):
        assert set(sink.received) == expected
        assert len(sink.received) == 620
        assert in_order_per_owner(sink.received)
        assert await store.delivered_through(sink.name) == 620
    assert first.closed
    assert second.closed


async def test_a_failing_sink_gets_everything_later_and_holds_back_no_other(user: str) -> None:
    owner = user
    store = InMemoryTaskStore()
    failing, working, counted = Sink("failing", failures=3, takes=2), Sink("working"), Counted()
    relay = EventRelay(store, [failing, working], observer=counted, poll_interval=0.01, longest_back_off=0.05)
    await relay.start()
    await write(TaskService(store), [owner], 5)

    await until(lambda: len(working.received) == 5)
    await until(lambda: len(failing.received) >= 5 + 3 * 2)
    await relay.stop()

    assert working.received == [(owner, p) for p in range(1, 6)]
    assert set(failing.received) == {(owner, p) for p in range(1, 6)}  # repeats, but every one
    assert counted.failures == {"failing": 3}
    assert counted.events["working"] == 5
    assert counted.events["failing"] == 5


async def test_of_two_relays_one_delivers_and_the_other_takes_over_when_it_stops(
    user: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = user
    monkeypatch.setattr(relay_module, "LEASE", 30.0)  # the stopping relay hands the lease over; none runs out
    store = InMemoryTaskStore()
    tasks = TaskService(store)
    first_sink, second_sink = Sink("nats"), Sink("nats")
    first = EventRelay(store, [first_sink], observer=Counted(), poll_interval=0.01)
    second = EventRelay(store, [second_sink], observer=Counted(), poll_interval=0.01)
    await first.start()
    await until(lambda: first.holding)
    await second.start()
    await write(tasks, [owner], 3)
    await until(lambda: len(first_sink.received) == 3)
    await asyncio.sleep(0.2)
    assert second_sink.received == []
    assert not second.holding

    await first.stop()
    await write(tasks, [owner], 2)
    await until(lambda: len(second_sink.received) == 2, seconds=2)
    await second.stop()
    assert second_sink.received == [(owner, 4), (owner, 5)]  # from where the first left off


async def test_back_off_doubles_up_to_the_longest_wait_with_jitter() -> None:
    waits = [back_off(attempt, longest=5.0) for attempt in range(12)]
    assert 0.05 <= waits[0] <= 0.1
    assert 0.4 <= waits[3] <= 0.8
    assert all(2.5 <= wait <= 5.0 for wait in waits[7:])
    assert len({back_off(9, longest=5.0) for _ in range(20)}) > 1
