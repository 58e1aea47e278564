"""Test doubles for the use cases: a clock that moves only when told, a store that records what it was given."""

from datetime import UTC, datetime, timedelta

from adapters.memory import InMemoryTaskStore
from domain.task import Task

START = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


DUE = datetime(2026, 4, 1, 9, 30, tzinfo=UTC)


OWNER, OTHER = "alice", "bob"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float = 1) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


class RecordingStore(InMemoryTaskStore):
    def __init__(self) -> None:
        super().__init__()
        self.added: list[Task] = []
        self.keys: list[tuple[str | None, str]] = []

    async def add(self, task: Task, *, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        self.added.append(task)
        self.keys.append((idempotency_key, fingerprint))
        return await super().add(task, idempotency_key=idempotency_key, fingerprint=fingerprint)
