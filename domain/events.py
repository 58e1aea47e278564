"""Task events: every change to a task, as the owner's feed records it, in commit order."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from domain.errors import FieldError, InvalidInput
from domain.task import Task

EVENT_RETENTION = timedelta(days=30)  # the default; TODO_EVENT_RETENTION_DAYS sets it


class ChangeKind(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    COMPLETED = "completed"
    REOPENED = "reopened"
    DELETED = "deleted"


def change_kind(before: Task | None, after: Task | None) -> ChangeKind | None:
    """What a write did to a task; None when it changed nothing (and so records nothing).

    A write that flips `completed` is a completion or a reopening, whatever else it changed.
    The SQL stores apply the same rule in their triggers (migration 0004).
    """
    if before is None:
        return None if after is None else ChangeKind.CREATED
    if after is None:
        return ChangeKind.DELETED
    if after.version == before.version:
        return None
    if after.completed != before.completed:
        return ChangeKind.COMPLETED if after.completed else ChangeKind.REOPENED
    return ChangeKind.UPDATED


@dataclass(frozen=True, slots=True)
class TaskEvent:
    """One change to one task.

    `position` orders the owner's events as they committed: 1, 2, 3, ... without gaps, so that
    a reader who has seen position n has seen every event before it. `version` is the task's
    version after the change (for a deletion, the last version it had); `task` is the task as the
    change left it, None for a deletion.
    """

    position: int
    kind: ChangeKind
    user_id: str
    task_id: UUID
    version: int
    time: datetime
    task: Task | None


@dataclass(frozen=True, slots=True)
class FeedBounds:
    """Where an owner's feed stands: `latest` is the last position handed out, and every event
    after `pruned_through` is kept (retention removed some at or before it)."""

    pruned_through: int = 0
    latest: int = 0

    def can_resume_after(self, position: int) -> bool:
        """Whether replaying the events after `position` onto what a reader had there is complete.

        Position 0 (nothing seen) always is: retention keeps each live task's latest event, so
        the events kept, replayed from nothing, give the owner's tasks as they are.
        """
        return position == 0 or self.pruned_through <= position <= self.latest


MAX_POSITION = 2**63 - 1  # a BIGINT


def parse_position(raw: str, name: str) -> int:
    """A position a client was handed (a token or a cursor): a whole number, 0 for the beginning."""
    if not (raw.isascii() and raw.isdigit() and int(raw) <= MAX_POSITION):
        raise InvalidInput([FieldError(name, "is not a position this service handed out")])
    return int(raw)
