"""A TaskStore kept in a dict: for fast tests, and for anyone who wants no database at all."""

from datetime import datetime
from uuid import UUID

from domain.task import Task, TaskContent


class InMemoryTaskStore:
    """No method ever suspends, so on one event loop every call is atomic."""

    def __init__(self) -> None:
        self._tasks: dict[UUID, Task] = {}

    async def add(self, task: Task) -> None:
        self._tasks[task.id] = task

    async def list(self, user_id: str) -> list[Task]:
        owned = (task for task in self._tasks.values() if task.user_id == user_id)
        return sorted(owned, key=lambda task: (task.created_at, task.id))

    async def get(self, user_id: str, task_id: UUID) -> Task | None:
        task = self._tasks.get(task_id)
        return task if task is not None and task.user_id == user_id else None

    async def replace(self, user_id: str, task_id: UUID, content: TaskContent, now: datetime) -> Task | None:
        if (task := await self.get(user_id, task_id)) is None:
            return None
        return self._keep(task.with_content(content, now))

    async def delete(self, user_id: str, task_id: UUID) -> bool:
        if await self.get(user_id, task_id) is None:
            return False
        del self._tasks[task_id]
        return True

    async def toggle_completion(self, user_id: str, task_id: UUID, now: datetime) -> Task | None:
        if (task := await self.get(user_id, task_id)) is None:
            return None
        return self._keep(task.with_completion(not task.completed, now))

    async def set_completion(self, user_id: str, task_id: UUID, completed: bool, now: datetime) -> Task | None:
        if (task := await self.get(user_id, task_id)) is None:
            return None
        return self._keep(task.with_completion(completed, now))

    async def ping(self) -> None:
        return None

    async def open(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def _keep(self, task: Task) -> Task:
        self._tasks[task.id] = task
        return task
