"""The task use cases: check input with the domain's rules, then make one atomic store call.

Every use case takes the owner as the client named it, and everything after it by keyword (`task_id=`,
`draft=`, `changes=`, `query=`, `completed=`), so two values of one type cannot be swapped. A write
may name `expected_versions`, the versions the client's precondition allows (None: no precondition).
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any, NoReturn
from uuid import UUID

from domain.errors import EditConflict, TaskNotFound, VersionMismatch
from domain.query import FIRST_PAGE, Page, TaskQuery
from domain.store import TaskStore
from domain.task import Task, TaskContent, TaskDraft, parse_idempotency_key, parse_task_id, parse_user_id, utc_now

Versions = frozenset[int] | None
MERGE_ATTEMPTS = 5


class TaskService:
    def __init__(self, store: TaskStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def create(self, owner: str, *, draft: TaskDraft, idempotency_key: str | None = None) -> Task:
        """The new task; with an idempotency key already used for the same content, the task it made."""
        owner = parse_user_id(owner)
        content = draft.checked()
        task = Task.create(owner, content, self._clock())
        if idempotency_key is None:
            return await self._store.add(task)
        return await self._store.add(
            task, idempotency_key=parse_idempotency_key(idempotency_key), fingerprint=content.fingerprint()
        )

    async def list(self, owner: str, *, query: TaskQuery = FIRST_PAGE) -> Page:
        query.check_page_size()
        # One more than asked for tells whether a next page exists.
        tasks = await self._store.list(parse_user_id(owner), query=query.with_limit(query.limit + 1))
        if len(tasks) <= query.limit:
            return Page(tasks, None)
        tasks = tasks[: query.limit]
        return Page(tasks, query.position_of(tasks[-1]))

    async def get(self, owner: str, *, task_id: str) -> Task:
        return _found(await self._store.get(parse_user_id(owner), task_id=parse_task_id(task_id)), task_id)

    async def replace(self, owner: str, *, task_id: str, draft: TaskDraft, expected_versions: Versions = None) -> Task:
        owner, tid = parse_user_id(owner), parse_task_id(task_id)
        content = draft.checked()
        expected = await self._expected_version(owner, tid, expected_versions)

        def write() -> Awaitable[Task | None]:
            return self._store.replace(
                owner, task_id=tid, content=content, now=self._clock(), expected_version=expected
            )

        return await self._completing_series(owner, tid, expected, write, lambda _: content)

    async def update(
        self, owner: str, *, task_id: str, changes: Mapping[str, Any], expected_versions: Versions = None
    ) -> Task:
        """Apply a JSON Merge Patch of the editable fields, to the task as it is when the write lands."""
        owner, tid = parse_user_id(owner), parse_task_id(task_id)
        for _ in range(MERGE_ATTEMPTS):
            current = _found(await self._store.get(owner, task_id=tid), task_id)
            if expected_versions is not None and current.version not in expected_versions:
                raise VersionMismatch(task_id)
            content = current.merged(changes)
            if content == current.content:
                return current  # nothing changes, so nothing is written
            if current.completes_series(completed=content.completed, recurrence=content.recurrence):
                updated = await self._complete_in_series(current, content)
            else:
                updated = await self._store.replace(
                    owner, task_id=tid, content=content, now=self._clock(), expected_version=current.version
                )
            if updated:
                return updated
            if expected_versions is not None:
                await self._missing(owner, tid, current.version)
        raise EditConflict(task_id)

    async def delete(self, owner: str, *, task_id: str, expected_versions: Versions = None) -> None:
        owner, tid = parse_user_id(owner), parse_task_id(task_id)
        expected = await self._expected_version(owner, tid, expected_versions)
        if not await self._store.delete(owner, task_id=tid, expected_version=expected):
            await self._missing(owner, tid, expected)

    async def toggle_completion(self, owner: str, *, task_id: str, expected_versions: Versions = None) -> Task:
        owner, tid = parse_user_id(owner), parse_task_id(task_id)
        expected = await self._expected_version(owner, tid, expected_versions)

        def write() -> Awaitable[Task | None]:
            return self._store.toggle_completion(owner, task_id=tid, now=self._clock(), expected_version=expected)

        return await self._completing_series(owner, tid, expected, write, _completed)

    async def set_completion(
        self, owner: str, *, task_id: str, completed: bool, expected_versions: Versions = None
    ) -> Task:
        owner, tid = parse_user_id(owner), parse_task_id(task_id)
        expected = await self._expected_version(owner, tid, expected_versions)

        def write() -> Awaitable[Task | None]:
            return self._store.set_completion(
                owner, task_id=tid, completed=completed, now=self._clock(), expected_version=expected
            )

        return await self._completing_series(owner, tid, expected, write, _completed)

    async def next_occurrence(self, task: Task) -> UUID | None:
        """The id of the task that follows this one (as a write answered it) in its series: only a
        completed recurring task has one."""
        if not task.completed or task.recurrence is None:
            return None
        return await self._store.successor_id(task.user_id, task_id=task.id)

    async def _completing_series(
        self,
        owner: str,
        task_id: UUID,
        expected: int | None,
        write: Callable[[], Awaitable[Task | None]],
        completing: Callable[[Task], TaskContent],
    ) -> Task:
        """`write`, or, when it left a recurring task alone because it would complete it (the store
        answers None), the completion with its successor: `completing` gives the content it writes."""
        for _ in range(MERGE_ATTEMPTS):
            if written := await write():
                return written
            current = await self._store.get(owner, task_id=task_id)
            if current is None or (expected is not None and current.version != expected):
                return await self._missing(owner, task_id, expected)
            content = completing(current)
            completes = current.completes_series(completed=content.completed, recurrence=content.recurrence)
            if completes and (completed := await self._complete_in_series(current, content)):
                return completed
            if expected is not None:
                await self._missing(owner, task_id, expected)
        raise EditConflict(str(task_id))

    async def _complete_in_series(self, current: Task, content: TaskContent) -> Task | None:
        """Complete the task, at the version read, and add the next task of its series."""
        now = self._clock()
        successor = current.with_content(content, now).successor(now)
        return await self._store.complete_in_series(
            current.user_id,
            task_id=current.id,
            content=content,
            now=now,
            expected_version=current.version,
            successor=successor,
        )

    async def check_store(self) -> None:
        await self._store.ping()

    async def _expected_version(self, owner: str, task_id: UUID, allowed: Versions) -> int | None:
        """The one version a conditional write may find; with several allowed, the one the task has now."""
        if allowed is None:
            return None
        if len(allowed) == 1:
            return next(iter(allowed))
        current = _found(await self._store.get(owner, task_id=task_id), str(task_id))
        if current.version not in allowed:
            raise VersionMismatch(str(task_id))
        return current.version

    async def _missing(self, owner: str, task_id: UUID, expected_version: int | None) -> NoReturn:
        """Why a write found nothing: the task is gone, or, under a precondition, it changed."""
        if expected_version is not None and await self._store.get(owner, task_id=task_id) is not None:
            raise VersionMismatch(str(task_id))
        raise TaskNotFound(str(task_id))


def _completed(task: Task) -> TaskContent:
    return replace(task.content, completed=True)


def _found(task: Task | None, task_id: str) -> Task:
    if task is None:
        raise TaskNotFound(task_id)
    return task
