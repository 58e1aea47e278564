"""A TaskStore kept in dicts: for fast tests, and for anyone who wants no database at all."""

import builtins  # `list` names the store's listing method inside the class
from bisect import bisect_right
from collections.abc import Collection, Iterator
from datetime import datetime
from itertools import islice
from typing import Any
from uuid import UUID

from domain.errors import IdempotencyKeyReused
from domain.events import MAX_POSITION, FeedBounds, FeedPage, TaskEvent, change_kind
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
        return self._keep(task, task.with_content(content, now), now)

    async def delete(self, owner: str, *, task_id: UUID, expected_version: int | None = None) -> bool:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return False
        del self._tasks[owner][task_id]
        self._record(task, None, utc_now())
        return True

    async def toggle_completion(
        self, owner: str, *, task_id: UUID, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return None
        return self._keep(task, task.with_completion(not task.completed, now), now)

    async def set_completion(
        self, owner: str, *, task_id: UUID, completed: bool, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(owner, task_id, expected_version)) is None:
            return None
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

        # A prefix only: nothing from the first event young enough to keep on.
        first_young = next((e.position for e in events if e.time >= recorded_before), MAX_POSITION + 1)

        def expired(event: TaskEvent) -> bool:
            latest = (task := live.get(event.task_id)) is not None and task.version == event.version
            return event.position < first_young and not latest

        gone = {e.position for e in islice((e for e in events if expired(e)), limit)}
        if gone:
            self._events[owner] = [e for e in events if e.position not in gone]
            bounds = self._bounds[owner]
            self._bounds[owner] = FeedBounds(max(bounds.pruned_through, *gone), bounds.latest)
        return len(gone)

    def _events_after(self, owner: str, after: int) -> Iterator[TaskEvent]:
        events = self._events.get(owner, [])
        return iter(events[bisect_right(events, after, key=_position) :])  # kept in position order
