"""The task use cases: check input with the domain's rules, then make one atomic store call.

Writes take `if_match`, the versions a client's precondition allows (None: no precondition).
"""

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any, NoReturn
from uuid import UUID

from domain.errors import EditConflict, TaskNotFound, VersionMismatch
from domain.query import Page, TaskQuery
from domain.store import TaskStore
from domain.task import (
    Priority,
    Task,
    TaskContent,
    parse_idempotency_key,
    parse_task_id,
    parse_user_id,
    utc_now,
)

Versions = frozenset[int] | None
MERGE_ATTEMPTS = 5


class TaskService:
    def __init__(self, store: TaskStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def create(
        self,
        user_id: str,
        title: str,
        description: str | None = None,
        completed: bool = False,
        priority: Priority | str = Priority.NONE,
        due_at: datetime | None = None,
        tags: Iterable[str] = (),
        idempotency_key: str | None = None,
    ) -> Task:
        """The new task; with an idempotency key already used for the same content, the task it made."""
        owner = parse_user_id(user_id)
        content = TaskContent.parse(title, description, completed, priority, due_at, tags)
        task = Task.create(owner, content, self._clock())
        if idempotency_key is None:
            return await self._store.add(task)
        return await self._store.add(task, parse_idempotency_key(idempotency_key), content.fingerprint())

    async def list(self, user_id: str, query: TaskQuery | None = None) -> Page:
        query = query or TaskQuery()
        query.check_page_size()
        # One more than asked for tells whether a next page exists.
        probe = TaskQuery(query.filter, query.sort, query.descending, query.limit + 1, query.after)
        tasks = await self._store.list(parse_user_id(user_id), probe)
        if len(tasks) <= query.limit:
            return Page(tasks, None)
        tasks = tasks[: query.limit]
        return Page(tasks, query.position_of(tasks[-1]))

    async def get(self, user_id: str, task_id: str) -> Task:
        return _found(await self._store.get(parse_user_id(user_id), parse_task_id(task_id)), task_id)

    async def replace(
        self,
        user_id: str,
        task_id: str,
        title: str,
        description: str | None = None,
        completed: bool = False,
        priority: Priority | str = Priority.NONE,
        due_at: datetime | None = None,
        tags: Iterable[str] = (),
        if_match: Versions = None,
    ) -> Task:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        content = TaskContent.parse(title, description, completed, priority, due_at, tags)
        expected = await self._expected_version(owner, tid, if_match)
        updated = await self._store.replace(owner, tid, content, self._clock(), expected)
        return updated or await self._missing(owner, tid, expected)

    async def update(self, user_id: str, task_id: str, changes: Mapping[str, Any], if_match: Versions = None) -> Task:
        """Apply a JSON Merge Patch of the editable fields, to the task as it is when the write lands."""
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        for _ in range(MERGE_ATTEMPTS):
            current = _found(await self._store.get(owner, tid), task_id)
            if if_match is not None and current.version not in if_match:
                raise VersionMismatch(task_id)
            content = current.merged(changes)
            if content == current.content:
                return current  # nothing changes, so nothing is written
            if updated := await self._store.replace(owner, tid, content, self._clock(), current.version):
                return updated
            if if_match is not None:
                await self._missing(owner, tid, current.version)
        raise EditConflict(task_id)

    async def delete(self, user_id: str, task_id: str, if_match: Versions = None) -> None:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        expected = await self._expected_version(owner, tid, if_match)
        if not await self._store.delete(owner, tid, expected):
            await self._missing(owner, tid, expected)

    async def toggle_completion(self, user_id: str, task_id: str, if_match: Versions = None) -> Task:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        expected = await self._expected_version(owner, tid, if_match)
        toggled = await self._store.toggle_completion(owner, tid, self._clock(), expected)
        return toggled or await self._missing(owner, tid, expected)

    async def set_completion(self, user_id: str, task_id: str, completed: bool, if_match: Versions = None) -> Task:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        expected = await self._expected_version(owner, tid, if_match)
        updated = await self._store.set_completion(owner, tid, completed, self._clock(), expected)
        return updated or await self._missing(owner, tid, expected)

    async def check_store(self) -> None:
        await self._store.ping()

    async def _expected_version(self, owner: str, task_id: UUID, if_match: Versions) -> int | None:
        """The one version a conditional write may find; with several allowed, the one the task has now."""
        if if_match is None:
            return None
        if len(if_match) == 1:
            return next(iter(if_match))
        current = _found(await self._store.get(owner, task_id), str(task_id))
        if current.version not in if_match:
            raise VersionMismatch(str(task_id))
        return current.version

    async def _missing(self, owner: str, task_id: UUID, expected_version: int | None) -> NoReturn:
        """Why a write found nothing: the task is gone (404) or, under a precondition, changed (412)."""
        if expected_version is not None and await self._store.get(owner, task_id) is not None:
            raise VersionMismatch(str(task_id))
        raise TaskNotFound(str(task_id))


def _found(task: Task | None, task_id: str) -> Task:
    if task is None:
        raise TaskNotFound(task_id)
    return task
