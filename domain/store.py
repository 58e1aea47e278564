"""The TaskStore port: how the use cases keep tasks, whatever keeps them."""

from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.query import FIRST_PAGE, TaskQuery
from domain.task import Task, TaskContent


class TaskStore(Protocol):
    """Every method sees only the tasks of the `user_id` it is given, and is atomic on its own.

    A task of another owner is indistinguishable from a missing one: `None` or `False`.
    A write given `expected_version` happens only if the task is at that version; otherwise it
    also answers `None` or `False` (the caller tells "gone" from "changed" by reading again).
    Every write that changes a task moves `updated_at` to `now` and adds one to `version`.
    Any method may raise `StoreUnavailable` when the store cannot be reached.
    """

    async def add(self, task: Task, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        """Keep a new task (its id is fresh) and return it.

        With an idempotency key, the key is recorded with the task, atomically. If the owner used
        the key before (within IDEMPOTENCY_KEY_LIFETIME), nothing is added and the task that first
        request created is returned as it was then; a different `fingerprint` raises `IdempotencyKeyReused`.
        """

    async def list(self, user_id: str, query: TaskQuery = FIRST_PAGE) -> list[Task]:
        """Up to `query.limit` of the owner's tasks that match, in the query's order, after its position."""

    async def get(self, user_id: str, task_id: UUID) -> Task | None:
        """The owner's task with that id."""

    async def replace(
        self, user_id: str, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        """Overwrite the editable fields; `completed_at` is kept, set or cleared to match `completed`."""

    async def delete(self, user_id: str, task_id: UUID, expected_version: int | None = None) -> bool:
        """Remove the task; whether there was one (at that version)."""

    async def toggle_completion(
        self, user_id: str, task_id: UUID, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        """Flip `completed` in one atomic step, so concurrent toggles never lose one another."""

    async def set_completion(
        self, user_id: str, task_id: UUID, completed: bool, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        """Set `completed`; nothing moves if it already had that value, so a retry is harmless."""

    async def ping(self) -> None:
        """Return when the store answers; raise `StoreUnavailable` when it does not."""
