"""A TaskStore kept in dicts: for fast tests, and for anyone who wants no database at all."""

import builtins  # `list` names the store's listing method inside the class
import time
from bisect import bisect_right
from collections.abc import Collection, Iterator
from dataclasses import replace
from datetime import datetime
from itertools import islice
from typing import Any
from uuid import UUID

from domain.errors import IdempotencyKeyReused, RelayLost
from domain.events import MAX_POSITION, Backlog, FeedBounds, FeedPage, RelayedEvent, TaskEvent, change_kind
from domain.query import FIRST_PAGE, SORT_ATTRIBUTES, TaskQuery
from domain.task import IDEMPOTENCY_KEY_LIFETIME, Task, TaskContent, utc_now


def _position(event: TaskEvent) -> int:
    return event.position


def _order(value: Any, task_id: UUID) -> tuple[Any, ...]:
    # A missing value (no due date) sorts after all others ascending and before them descending,
    # as NULLs do in Postgres.
    return (value is None, value, task_id)


class InMemoryTaskStore:
    """No method suspends between reading and writing, so on one event loop every call is atomic.

    Tasks and events are kept per owner, so a listing or a feed reads only its owner's. The Tasks it
    hands out are the ones it keeps: that is safe only because a Task is a value that nobody changes
    (changes make a new one, `Task.with_content`); a caller that set a field would change the store.
    """

    def __init__(self) -> None:
        self._tasks: dict[str, dict[UUID, Task]] = {}
        self._keys: dict[tuple[str, str], tuple[str, Task]] = {}
        self._events: dict[str, list[TaskEvent]] = {}
        self._bounds: dict[str, FeedBounds] = {}
        self._relay = _Relay()
        self._reminders: dict[tuple[str, UUID], datetime] = {}  # those still to fire, by owner and task

    async def add(self, task: Task, *, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        if idempotency_key is not None:
            recorded = self._keys.get((task.user_id, idempotency_key))
            if recorded and recorded[1].created_at > task.created_at - IDEMPOTENCY_KEY_LIFETIME:
                if recorded[0] != fingerprint:
                    raise IdempotencyKeyReused(idempotency_key)
                return recorded[1]
            self._keys[task.user_id, idempotency_key] = (fingerprint, task)
        return self._keep(None, task, task.created_at)

    async def list(self, owner: str, *, query: TaskQuery = FIRST_PAGE) -> list[Task]:
        attribute = SORT_ATTRIBUTES[query.sort]

        def order(task: Task) -> tuple[Any, ...]:
            return _order(getattr(task, attribute), task.id)

        found = [t for t in self._tasks.get(owner, {}).values() if query.filter.matches(t)]
        if query.after is not None:
            edge = _order(query.after.value, query.after.id)
            found = [t for t in found if (order(t) < edge if query.descending else order(t) > edge)]
        found.sort(key=order, reverse=query.descending)
        return found[: query.limit]

    async def get(self, owner: str, *, task_id: UUID) -> Task | None:
        return self._tasks.get(owner, {}).get(task_id)

    async def replace(
        self, owner: str, *, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return None
        if task.completes_series(completed=content.completed, recurrence=content.recurrence):
            return None  # completed with its successor (`complete_in_series`)
        return self._keep(task, task.with_content(content, now), now)

    async def complete_in_series(
        self,
        owner: str,
        *,
        task_id: UUID,
        content: TaskContent,
        now: datetime,
        expected_version: int,
        successor: Task | None,
    ) -> Task | None:
        if (task := self._at_version(owner, task_id, expected_version)) is None or task.completed:
            return None
        completed = self._keep(task, task.with_content(content, now), now)
        if successor is not None and await self.successor_id(owner, task_id=task_id) is None:
            self._keep(None, successor, now)
        return completed

    async def successor_id(self, owner: str, *, task_id: UUID) -> UUID | None:
        return next((t.id for t in self._tasks.get(owner, {}).values() if t.previous_id == task_id), None)

    async def fire_reminders(self, *, now: datetime, limit: int) -> builtins.list[Task]:
        due = sorted((at, key) for key, at in self._reminders.items() if at <= now)[:limit]
        fired = [self._tasks[owner][task_id] for _, (owner, task_id) in due]
        return [self._keep(task, replace(task, reminded_at=now), now) for task in fired]

    async def next_reminder(self) -> datetime | None:
        return min(self._reminders.values(), default=None)

    async def delete(self, owner: str, *, task_id: UUID, expected_version: int | None = None) -> bool:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return False
        del self._tasks[owner][task_id]
        self._reminders.pop((owner, task_id), None)
        self._record(task, None, utc_now())
        return True

    async def toggle_completion(
        self, owner: str, *, task_id: UUID, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return None
        if task.completes_series(completed=not task.completed, recurrence=task.recurrence):
            return None  # completed with its successor (`complete_in_series`)
        return self._keep(task, task.with_completion(not task.completed, now), now)

    async def set_completion(
        self, owner: str, *, task_id: UUID, completed: bool, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return None
        if task.completes_series(completed=completed, recurrence=task.recurrence):
            return None  # completed with its successor (`complete_in_series`)
        return self._keep(task, task.with_completion(completed, now), now)

    async def ping(self) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _at_version(self, owner: str, task_id: UUID, expected_version: int | None) -> Task | None:
        task = self._tasks.get(owner, {}).get(task_id)
        if task is None:
            return None
        return task if expected_version in (None, task.version) else None

    def _keep(self, before: Task | None, task: Task, now: datetime) -> Task:
        self._tasks.setdefault(task.user_id, {})[task.id] = task
        if task.reminder_pending:
            self._reminders[task.user_id, task.id] = task.remind_at  # type: ignore[assignment]
        elif before is not None and before.reminder_pending:
            del self._reminders[task.user_id, task.id]
        self._record(before, task, now)
        return task

    def _record(self, before: Task | None, after: Task | None, now: datetime) -> None:
        if (kind := change_kind(before, after)) is None:
            return
        changed = after or before
        assert changed is not None
        bounds = self._bounds.get(changed.user_id, FeedBounds())
        self._bounds[changed.user_id] = FeedBounds(bounds.pruned_through, bounds.latest + 1)
        event = TaskEvent(bounds.latest + 1, kind, changed.user_id, changed.id, changed.version, now, after)
        self._events.setdefault(changed.user_id, []).append(event)
        self._relay.unordered.append(event)

    # The event log

    async def changes(self, owner: str, *, after: int, limit: int) -> FeedPage:
        events = list(islice(self._events_after(owner, after), limit))
        return FeedPage(events, self._bounds.get(owner, FeedBounds()))

    async def history(self, owner: str, *, task_id: UUID, after: int, limit: int) -> builtins.list[TaskEvent]:
        return list(islice((e for e in self._events_after(owner, after) if e.task_id == task_id), limit))

    async def latest_positions(self, owners: Collection[str]) -> dict[str, int]:
        return {owner: self._bounds[owner].latest for owner in owners if owner in self._bounds}

    async def feed_owners(self, *, after: str, limit: int) -> builtins.list[str]:
        return sorted(owner for owner in self._bounds if owner > after)[:limit]

    async def prune_events(self, owner: str, *, recorded_before: datetime, limit: int) -> int:
        live = self._tasks.get(owner, {})
        events = self._events.get(owner, [])

        # A prefix only: nothing from the first event young enough (or not yet given to a sink) to keep on.
        first_young = next(
            (e.position for e in events if e.time >= recorded_before or not self._relay.delivered_everywhere(e)),
            MAX_POSITION + 1,
        )

        def expired(event: TaskEvent) -> bool:
            latest = (task := live.get(event.task_id)) is not None and task.version == event.version
            return event.position < first_young and not latest

        gone = {e.position for e in islice((e for e in events if expired(e)), limit)}
        if gone:
            self._relay.forget(owner, gone)
            self._events[owner] = [e for e in events if e.position not in gone]
            bounds = self._bounds[owner]
            self._bounds[owner] = FeedBounds(max(bounds.pruned_through, *gone), bounds.latest)
        return len(gone)

    def _events_after(self, owner: str, after: int) -> Iterator[TaskEvent]:
        events = self._events.get(owner, [])
        return iter(events[bisect_right(events, after, key=_position) :])  # kept in position order

    # The relay's side of the log (EventRelayLog)

    async def claim_relay(self, holder: str, *, lease: float) -> bool:
        relay, now = self._relay, time.monotonic()
        if relay.holder not in ("", holder) and relay.lease_until >= now:
            return False
        relay.holder, relay.lease_until = holder, now + lease
        return True

    async def release_relay(self, holder: str) -> None:
        if self._relay.holder == holder:
            self._relay.lease_until = 0.0

    async def order_committed(self, holder: str, *, limit: int) -> int:
        relay = self._relay
        if relay.holder != holder:
            raise RelayLost(holder)
        taken, relay.unordered = relay.unordered[:limit], relay.unordered[limit:]
        for event in sorted(taken, key=_owner_and_position):
            relay.last_seq += 1
            relay.ordered[relay.last_seq] = event
            relay.seq_of[event.user_id, event.position] = relay.last_seq
        return relay.last_seq

    async def add_sinks(self, names: Collection[str]) -> None:
        for name in names:
            self._relay.sinks.setdefault(name, 0)

    async def drop_sink(self, name: str) -> bool:
        return self._relay.sinks.pop(name, None) is not None

    async def delivered_through(self, sink: str) -> int:
        return self._relay.sinks.get(sink, 0)

    async def record_delivered(self, sink: str, *, through: int) -> None:
        sinks = self._relay.sinks
        if sink in sinks:
            sinks[sink] = max(sinks[sink], through)

    async def events_after(self, *, seq: int, limit: int) -> builtins.list[RelayedEvent]:
        ordered = self._relay.ordered
        found = (RelayedEvent(n, ordered[n]) for n in range(seq + 1, self._relay.last_seq + 1) if n in ordered)
        return list(islice(found, limit))

    async def backlogs(self) -> dict[str, Backlog]:
        relay = self._relay
        waiting = {name: [e for n, e in relay.ordered.items() if n > through] for name, through in relay.sinks.items()}
        return {
            name: Backlog(
                len(events) + len(relay.unordered), min((e.time for e in events + relay.unordered), default=None)
            )
            for name, events in waiting.items()
        }


def _owner_and_position(event: TaskEvent) -> tuple[str, int]:
    return event.user_id, event.position


class _Relay:
    """The relay's bookkeeping: events recorded and not yet numbered, numbered ones by number, the
    sinks' progress, and the lease (by this process's clock: a memory store lives in one process)."""

    def __init__(self) -> None:
        self.unordered: list[TaskEvent] = []
        self.ordered: dict[int, TaskEvent] = {}
        self.seq_of: dict[tuple[str, int], int] = {}
        self.last_seq = 0
        self.sinks: dict[str, int] = {}
        self.holder = ""
        self.lease_until = 0.0

    def delivered_everywhere(self, event: TaskEvent) -> bool:
        if not self.sinks:
            return True
        seq = self.seq_of.get((event.user_id, event.position))
        return seq is not None and seq <= min(self.sinks.values())

    def forget(self, owner: str, positions: set[int]) -> None:
        """Retention removed these events of the owner's."""
        for position in positions:
            if (seq := self.seq_of.pop((owner, position), None)) is not None:
                del self.ordered[seq]
        self.unordered = [e for e in self.unordered if e.user_id != owner or e.position not in positions]
