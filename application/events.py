"""The event use cases: a task's history, and the owner's feed of changes since a position.

Positions come in as the client sent them (text) and go out as numbers or `FeedToken`s; the driving
adapter spells them (`str`) as a token, a cursor or an SSE id.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from domain.errors import ChangesExpired, TaskNotFound
from domain.events import EVENT_RETENTION, FeedToken, TaskEvent, parse_position
from domain.query import DEFAULT_PAGE_SIZE, checked_page_size
from domain.store import TaskEventLog
from domain.task import parse_task_id, parse_user_id, utc_now

PRUNE_BATCH = 500  # events removed per statement: each holds its locks for milliseconds
OWNERS_PER_PASS = 200


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[TaskEvent]
    next: int | None  # the position the next page starts after; None on the last page


class FeedEntry(NamedTuple):
    event: TaskEvent
    token: FeedToken  # where a reader stands once it has applied the event


@dataclass(frozen=True, slots=True)
class FeedRead:
    entries: list[FeedEntry]
    next: FeedToken  # the token to read after next time, even when nothing happened


async def read_feed(log: TaskEventLog, owner: str, *, after: FeedToken, limit: int) -> FeedRead:
    """Up to `limit` of the owner's events after the token, in commit order, each with the token after
    it; `ChangesExpired` when the token can no longer be resumed from (retention removed what it needs)."""
    page = await log.changes(owner, after=after.position, limit=limit)
    if not page.bounds.can_resume_from(after):
        raise ChangesExpired(owner)
    tokens, following = page.bounds.tokens_after(after, page.events, complete=len(page.events) < limit)
    return FeedRead(list(map(FeedEntry, page.events, tokens)), following)


@dataclass(frozen=True, slots=True)
class Changes:
    events: list[TaskEvent]
    next: FeedToken  # the token to ask after next time, even when nothing happened


class TaskEvents:
    def __init__(
        self, log: TaskEventLog, clock: Callable[[], datetime] = utc_now, retention: timedelta = EVENT_RETENTION
    ) -> None:
        self._log = log
        self._clock = clock
        self.retention = retention

    async def history(
        self, owner: str, *, task_id: str, cursor: str | None = None, limit: int = DEFAULT_PAGE_SIZE
    ) -> EventPage:
        """The task's events, oldest first; a task with none kept (or another owner's) is not found."""
        owner, tid = parse_user_id(owner), parse_task_id(task_id)
        after = 0 if cursor is None else parse_position(cursor, "cursor")
        events = await self._log.history(owner, task_id=tid, after=after, limit=checked_page_size(limit) + 1)
        if not events and cursor is None:
            raise TaskNotFound(task_id)
        if len(events) <= limit:
            return EventPage(events, None)
        return EventPage(events[:limit], events[limit - 1].position)

    async def changes(self, owner: str, *, after: str | None = None, limit: int = DEFAULT_PAGE_SIZE) -> Changes:
        """The owner's events after the token, in commit order; `ChangesExpired` if some are gone."""
        owner = parse_user_id(owner)
        token = FeedToken() if after is None else FeedToken.parse(after, "after")
        read = await read_feed(self._log, owner, after=token, limit=checked_page_size(limit))
        return Changes([entry.event for entry in read.entries], read.next)

    async def prune(self) -> int:
        """One pass of retention over every owner's feed; how many events went."""
        before = self._clock() - self.retention
        removed, owner = 0, ""
        while owners := await self._log.feed_owners(after=owner, limit=OWNERS_PER_PASS):
            for owner in owners:
                while (batch := await self._log.prune_events(owner, recorded_before=before, limit=PRUNE_BATCH)) > 0:
                    removed += batch
                    if batch < PRUNE_BATCH:
                        break
        return removed
