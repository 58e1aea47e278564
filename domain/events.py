"""Task events: every change to a task, as the owner's feed records it, in commit order."""

import re
from collections.abc import Sequence
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
    REMINDER = "reminder"  # not a change: the task's reminder fired (its version stays)


REMINDER_PROMISE = timedelta(seconds=1)  # a reminder fires within this of its time while the service runs


def change_kind(before: Task | None, after: Task | None) -> ChangeKind | None:
    """What a write did to a task; None when it changed nothing (and so records nothing).

    A write that flips `completed` is a completion or a reopening, whatever else it changed; one
    that only records that the reminder fired is a reminder. The SQL stores apply the same rule in
    their triggers (migrations 0004 and 0006).
    """
    if before is None:
        return None if after is None else ChangeKind.CREATED
    if after is None:
        return ChangeKind.DELETED
    if after.version == before.version:
        return ChangeKind.REMINDER if before.reminded_at is None and after.reminded_at is not None else None
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

    @property
    def late(self) -> bool:
        """For a reminder: whether it fired later than promised after its time (the service was down)."""
        task = self.task
        return task is not None and task.remind_at is not None and self.time - task.remind_at > REMINDER_PROMISE


MAX_POSITION = 2**63 - 1  # a BIGINT
_MAX_DIGITS = len(str(MAX_POSITION))
_TOKEN = re.compile(r"(0|[1-9][0-9]*)(?:~([1-9][0-9]*))?")


def _not_handed_out(name: str) -> InvalidInput:
    return InvalidInput([FieldError(name, "is not a position this service handed out")])


def parse_position(raw: str, name: str) -> int:
    """A position a client was handed (a history cursor): a whole number in its one spelling, 0 for
    the beginning. The length is bounded before the digits are converted."""
    token = FeedToken.parse(raw, name)
    if token.under is not None:
        raise _not_handed_out(name)
    return token.position


@dataclass(frozen=True, slots=True)
class FeedToken:
    """Where a reader of an owner's feed stands: it has applied every event through `position`.

    `under` is set only for a reader that started from nothing and is replaying the events retention
    kept while still below what retention removed (`FeedBounds.pruned_through`): it names that bound
    as it was when the reader read. Retention removes a prefix of the feed (keeping each live task's
    latest event), so whatever it removes later that such a reader needs (a deletion after its
    position) raises the bound; while the bound stays, the reader may go on.
    """

    position: int = 0
    under: int | None = None

    def __str__(self) -> str:
        return str(self.position) if self.under is None else f"{self.position}~{self.under}"

    @classmethod
    def parse(cls, raw: str, name: str) -> "FeedToken":
        """A token as `str` spells it; anything else (another spelling of a number too) is refused."""
        found = _TOKEN.fullmatch(raw) if len(raw) <= 2 * _MAX_DIGITS + 1 else None
        if found is None or len(found[1]) > _MAX_DIGITS or int(found[1]) > MAX_POSITION:
            raise _not_handed_out(name)
        position = int(found[1])
        under = None if found[2] is None else int(found[2])
        if under is not None and not position < under <= MAX_POSITION:
            raise _not_handed_out(name)
        return cls(position, under)


@dataclass(frozen=True, slots=True)
class FeedBounds:
    """Where an owner's feed stands: `latest` is the last position handed out, and every event
    after `pruned_through` is kept (retention removed some at or before it)."""

    pruned_through: int = 0
    latest: int = 0

    def can_resume_from(self, token: FeedToken) -> bool:
        """Whether applying the events kept after the token to what its reader has gives the owner's tasks.

        From nothing (position 0) it always does: retention keeps each live task's latest event, so
        the events kept, replayed from nothing, give the owner's tasks as they are.
        """
        if token.position > self.latest:
            return False  # never handed out
        return token.position == 0 or token.position >= self.pruned_through or token.under == self.pruned_through

    def tokens_after(
        self, start: FeedToken, events: Sequence[TaskEvent], *, complete: bool
    ) -> tuple[list[FeedToken], FeedToken]:
        """For a page of events read after `start` under these bounds: the token after each event,
        and the token to read after next (`complete`: no event was left unread after the page)."""
        beyond = self.latest + 1 if complete else None  # the next event kept after the page, if known
        positions = [event.position for event in events]
        following = [*positions[1:], beyond]  # one longer than `positions` when there are none
        after_each = [self._after(p, next_kept) for p, next_kept in zip(positions, following, strict=False)]
        return after_each, after_each[-1] if after_each else self._after(start.position, beyond)

    def _after(self, position: int, next_kept: int | None) -> FeedToken:
        """The token of a reader that has applied every kept event through `position`; `next_kept` is
        the position of the next event kept (None: not known)."""
        if position >= self.pruned_through:
            return FeedToken(position)
        if next_kept is not None and next_kept > self.pruned_through:
            return FeedToken(self.pruned_through)  # nothing kept lies between: it is where the feed was
        return FeedToken(position, under=self.pruned_through)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """Up to a limit of an owner's events after a position, oldest first, read at one moment with
    the bounds the feed had then."""

    events: list[TaskEvent]
    bounds: FeedBounds


@dataclass(frozen=True, slots=True)
class RelayedEvent:
    """An event with its place in the relay's order: `seq` numbers the events of every owner, 1, 2, 3, ...
    in the order the relay saw them committed, so each owner's stand in position order."""

    seq: int
    event: TaskEvent


@dataclass(frozen=True, slots=True)
class Backlog:
    """What a sink has not been given yet: how many events, and when the oldest of them happened."""

    events: int
    oldest: datetime | None
