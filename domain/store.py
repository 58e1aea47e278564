"""The TaskStore port: how the use cases keep tasks, whatever keeps them."""

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.task import Task, TaskContent


class TaskStore(Protocol):
    """Every method sees only the tasks of the `user_id` it is given, and is atomic on its own.

    A task of another owner is indistinguishable from a missing one: `None` or `False`.
    Any method may raise `StoreUnavailable` when the store cannot be reached; then it changed nothing
    that it did not also finish.
    """

    async def add(self, task: Task) -> None:
        """Keep a new task; its id is fresh."""

    async def list(self, user_id: str) -> list[Task]:
        """The owner's tasks, oldest first (ties broken by id)."""

    async def get(self, user_id: str, task_id: UUID) -> Task | None:
        """The owner's task with that id."""

    async def replace(self, user_id: str, task_id: UUID, content: TaskContent, now: datetime) -> Task | None:
        """Overwrite the editable fields and set `updated_at` to `now`; the task as stored after."""

    async def delete(self, user_id: str, task_id: UUID) -> bool:
        """Remove the task; whether there was one."""

    async def toggle_completion(self, user_id: str, task_id: UUID, now: datetime) -> Task | None:
        """Flip `completed` in one atomic step, so concurrent toggles never lose one another."""

    async def set_completion(self, user_id: str, task_id: UUID, completed: bool, now: datetime) -> Task | None:
        """Set `completed`; `updated_at` moves only if the value changed, so a retry is harmless."""

    async def ping(self) -> None:
        """Return when the store answers; raise `StoreUnavailable` when it does not."""
