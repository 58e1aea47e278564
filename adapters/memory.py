"""A TaskStore kept in dicts: for fast tests, and for anyone who wants no database at all."""

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.errors import IdempotencyKeyReused
from domain.query import FIRST_PAGE, SORT_ATTRIBUTES, TaskQuery
from domain.task import IDEMPOTENCY_KEY_LIFETIME, Task, TaskContent


def _order(value: Any, task_id: UUID) -> tuple[Any, ...]:
    # A missing value (no due date) sorts after all others ascending and before them descending,
    # as NULLs do in Postgres.
    return (value is None, value, task_id)


class InMemoryTaskStore:
    """No method suspends between reading and writing, so on one event loop every call is atomic.

    Tasks are kept per owner, so a listing reads only its owner's tasks.
    """

    def __init__(self) -> None:
        self._tasks: dict[str, dict[UUID, Task]] = {}
        self._keys: dict[tuple[str, str], tuple[str, Task]] = {}

    async def add(self, task: Task, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        if idempotency_key is not None:
            recorded = self._keys.get((task.user_id, idempotency_key))
            if recorded and recorded[1].created_at > task.created_at - IDEMPOTENCY_KEY_LIFETIME:
                if recorded[0] != fingerprint:
                    raise IdempotencyKeyReused(idempotency_key)
                return recorded[1]
            self._keys[task.user_id, idempotency_key] = (fingerprint, task)
        self._keep(task)
        return task

    async def list(self, user_id: str, query: TaskQuery = FIRST_PAGE) -> list[Task]:
        attribute = SORT_ATTRIBUTES[query.sort]

        def order(task: Task) -> tuple[Any, ...]:
            return _order(getattr(task, attribute), task.id)

        found = [t for t in self._tasks.get(user_id, {}).values() if query.filter.matches(t)]
        if query.after is not None:
            edge = _order(query.after.value, query.after.id)
            found = [t for t in found if (order(t) < edge if query.descending else order(t) > edge)]
        found.sort(key=order, reverse=query.descending)
        return found[: query.limit]

    async def get(self, user_id: str, task_id: UUID) -> Task | None:
        return self._tasks.get(user_id, {}).get(task_id)

    async def replace(
        self, user_id: str, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(user_id, task_id, expected_version)) is None:
            return None
        return self._keep(task.with_content(content, now))

    async def delete(self, user_id: str, task_id: UUID, expected_version: int | None = None) -> bool:
        if self._at_version(user_id, task_id, expected_version) is None:
            return False
        del self._tasks[user_id][task_id]
        return True

    async def toggle_completion(
        self, user_id: str, task_id: UUID, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(user_id, task_id, expected_version)) is None:
            return None
        return self._keep(task.with_completion(not task.completed, now))

    async def set_completion(
        self, user_id: str, task_id: UUID, completed: bool, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        if (task := self._at_version(user_id, task_id, expected_version)) is None:
            return None
        return self._keep(task.with_completion(completed, now))

    async def ping(self) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _at_version(self, user_id: str, task_id: UUID, expected_version: int | None) -> Task | None:
        task = self._tasks.get(user_id, {}).get(task_id)
        if task is None:
            return None
        return task if expected_version in (None, task.version) else None

    def _keep(self, task: Task) -> Task:
        self._tasks.setdefault(task.user_id, {})[task.id] = task
        return task
