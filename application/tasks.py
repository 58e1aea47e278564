"""The task use cases. Each validates with the domain's rules and makes one atomic store call."""

from collections.abc import Callable
from datetime import datetime

from domain.errors import TaskNotFound
from domain.store import TaskStore
from domain.task import Task, TaskContent, parse_task_id, parse_user_id, utc_now


class TaskService:
    def __init__(self, store: TaskStore, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = store
        self._clock = clock

    async def create(self, user_id: str, title: str, description: str | None = None, completed: bool = False) -> Task:
        task = Task.create(parse_user_id(user_id), TaskContent.parse(title, description, completed), self._clock())
        await self._store.add(task)
        return task

    async def list(self, user_id: str) -> list[Task]:
        return await self._store.list(parse_user_id(user_id))

    async def get(self, user_id: str, task_id: str) -> Task:
        return _found(await self._store.get(parse_user_id(user_id), parse_task_id(task_id)), task_id)

    async def replace(
        self, user_id: str, task_id: str, title: str, description: str | None = None, completed: bool = False
    ) -> Task:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        content = TaskContent.parse(title, description, completed)
        return _found(await self._store.replace(owner, tid, content, self._clock()), task_id)

    async def delete(self, user_id: str, task_id: str) -> None:
        if not await self._store.delete(parse_user_id(user_id), parse_task_id(task_id)):
            raise TaskNotFound(task_id)

    async def toggle_completion(self, user_id: str, task_id: str) -> Task:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        return _found(await self._store.toggle_completion(owner, tid, self._clock()), task_id)

    async def set_completion(self, user_id: str, task_id: str, completed: bool) -> Task:
        owner, tid = parse_user_id(user_id), parse_task_id(task_id)
        return _found(await self._store.set_completion(owner, tid, completed, self._clock()), task_id)

    async def check_store(self) -> None:
        await self._store.ping()


def _found(task: Task | None, task_id: str) -> Task:
    if task is None:
        raise TaskNotFound(task_id)
    return task
