"""The TaskStore port: how the use cases keep tasks, whatever keeps them."""

from collections.abc import Collection
from datetime import datetime
from typing import Protocol
from uuid import UUID

from domain.events import Backlog, FeedPage, RelayedEvent, TaskEvent
from domain.query import FIRST_PAGE, TaskQuery
from domain.task import Task, TaskContent


class TaskStore(Protocol):
    """Every method sees only the tasks of the `owner` it is given, and is atomic on its own.

    A task of another owner is indistinguishable from a missing one: `None` or `False`.
    A write given `expected_version` happens only if the task is at that version; otherwise it
    also answers `None` or `False` (the caller tells "gone" from "changed" by reading again).
    Every write that changes a task moves `updated_at` to `now` and adds one to `version`, and
    records its `TaskEvent` in the same transaction (see `TaskEventLog`): a change never exists
    without its event, nor an event without its change. A write that changes nothing records nothing.
    Any method may raise `StoreUnavailable` when the store cannot be reached.
    """

    async def add(self, task: Task, *, idempotency_key: str | None = None, fingerprint: str = "") -> Task:
        """Keep a new task (its id is fresh) and return it.

        With an idempotency key, the key is recorded with the task, atomically. If the owner used
        the key before (within IDEMPOTENCY_KEY_LIFETIME), nothing is added and the task that first
        request created is returned as it was then; a different `fingerprint` raises `IdempotencyKeyReused`.
        """

    async def list(self, owner: str, *, query: TaskQuery = FIRST_PAGE) -> list[Task]:
        """Up to `query.limit` of the owner's tasks that match, in the query's order, after its position."""

    async def get(self, owner: str, *, task_id: UUID) -> Task | None:
        """The owner's task with that id."""

    async def replace(
        self, owner: str, *, task_id: UUID, content: TaskContent, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        """Overwrite the editable fields; `completed_at` is kept, set or cleared to match `completed`;
        a reminder given another time is armed again (`reminded_at` cleared).

        This and the two writes of `completed` below leave a recurring task that they would complete
        as it is, and answer None: `complete_in_series` completes it, with its successor."""

    async def complete_in_series(
        self,
        owner: str,
        *,
        task_id: UUID,
        content: TaskContent,
        now: datetime,
        expected_version: int,
        successor: Task | None,
    ) -> Task | None:
        """Write `content` (which completes the task) if the task is at `expected_version` and not
        completed, and in the same transaction add `successor` (its `previous_id` names the task)
        unless the task has one already: a task never has two. The completed task, or None."""

    async def successor_id(self, owner: str, *, task_id: UUID) -> UUID | None:
        """The id of the task that follows this one in its series, if it has one."""

    async def delete(self, owner: str, *, task_id: UUID, expected_version: int | None = None) -> bool:
        """Remove the task; whether there was one (at that version)."""

    async def toggle_completion(
        self, owner: str, *, task_id: UUID, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        """Flip `completed` in one atomic step, so concurrent toggles never lose one another."""

    async def set_completion(
        self, owner: str, *, task_id: UUID, completed: bool, now: datetime, expected_version: int | None = None
    ) -> Task | None:
        """Set `completed`; nothing moves if it already had that value, so a retry is harmless."""

    async def ping(self) -> None:
        """Return when the store answers; raise `StoreUnavailable` when it does not."""


class TaskEventLog(Protocol):
    """The events the store recorded with each change, per owner, in commit order (`position`)."""

    async def changes(self, owner: str, *, after: int, limit: int) -> FeedPage:
        """Up to `limit` of the owner's events after position `after`, oldest first, and the feed's
        bounds, read at one moment (so a retention pass is either wholly before the read or after it)."""

    async def history(self, owner: str, *, task_id: UUID, after: int, limit: int) -> list[TaskEvent]:
        """Up to `limit` of the events of the owner's task after position `after`, oldest first."""

    async def latest_positions(self, owners: Collection[str]) -> dict[str, int]:
        """The last position of each named owner that has any event."""

    async def feed_owners(self, *, after: str, limit: int) -> list[str]:
        """Up to `limit` owners that have a feed, in order, after the owner `after` ("" for the first)."""

    async def prune_events(self, owner: str, *, recorded_before: datetime, limit: int) -> int:
        """Remove up to `limit` of the owner's oldest events recorded before `recorded_before`, except
        each live task's latest event, and move `FeedBounds.pruned_through` past them, atomically; how
        many went. Only a prefix of the feed goes: nothing after the first event younger than
        `recorded_before` (`FeedToken` relies on it)."""


class ReminderLog(Protocol):
    """The reminders still to fire, across every owner: a task's `remind_at`, unless it fired
    (`reminded_at`) or the task is completed."""

    async def fire_reminders(self, *, now: datetime, limit: int) -> list[Task]:
        """Mark up to `limit` reminders due by `now` as fired at `now`, soonest first, each recording
        a `reminder` event in the same transaction; the tasks. Concurrent callers never fire one twice."""

    async def next_reminder(self) -> datetime | None:
        """When the soonest reminder still to fire is due."""


class EventRelayLog(Protocol):
    """The log as the relay that delivers it to sinks reads it. One relay at a time holds the lease
    (`claim_relay`); only the holder orders events, and every sink's progress is kept with the log."""

    async def claim_relay(self, holder: str, *, lease: float) -> bool:
        """Take or renew the lease for `lease` seconds; False while another holder's lease runs."""

    async def release_relay(self, holder: str) -> None:
        """End the holder's lease now, so another may take it at once."""

    async def order_committed(self, holder: str, *, limit: int) -> int:
        """Number up to `limit` committed events not yet ordered (each owner's in position order) and
        return the last number handed out; `RelayLost` if `holder` no longer holds the lease."""

    async def add_sinks(self, names: Collection[str]) -> None:
        """Start keeping the progress of the sinks not yet known, from the first event kept."""

    async def drop_sink(self, name: str) -> bool:
        """Forget a sink, so retention no longer keeps events for it; whether it was known."""

    async def delivered_through(self, sink: str) -> int:
        """The last `seq` the sink has (0: none)."""

    async def record_delivered(self, sink: str, *, through: int) -> None:
        """The sink has every event through `seq` `through`."""

    async def events_after(self, *, seq: int, limit: int) -> list[RelayedEvent]:
        """Up to `limit` ordered events after `seq`, in order."""

    async def backlogs(self) -> dict[str, Backlog]:
        """What each known sink lacks: the events it has not been given, ordered or not yet."""
