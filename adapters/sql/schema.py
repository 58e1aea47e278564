"""The one schema definition, shared by the store's statements and by the Alembic migrations."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    Interval,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Table,
    Text,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.dialects.postgresql import ARRAY

from domain.recurrence import DEFAULT_TIME_ZONE, MAX_RULE_LENGTH, MAX_TIME_ZONE_LENGTH
from domain.task import (
    MAX_DESCRIPTION_LENGTH,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_USER_ID_LENGTH,
    Task,
)


class UtcDateTime(TypeDecorator[datetime]):
    """timestamptz on Postgres; on SQLite, which keeps no zone, a UTC value read back as aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)  # type: ignore[no-any-return]


# A Postgres array; SQLite keeps the list as JSON text.
Tags = ARRAY(String(MAX_TAG_LENGTH)).with_variant(JSON(), "sqlite")

# Binary ("C") order on Postgres is code-point order, as on SQLite and in Python: every store sorts alike.
Title = String(MAX_TITLE_LENGTH).with_variant(String(MAX_TITLE_LENGTH, collation="C"), "postgresql")

metadata = MetaData()

# Columns stand in the order of the domain Task's fields: a row maps to Task(*row).
# Every index leads with the owner, as every query names one; each sort has its own index.
tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid(), nullable=False),
    Column("user_id", String(MAX_USER_ID_LENGTH), nullable=False),
    Column("title", Title, nullable=False),
    Column("description", String(MAX_DESCRIPTION_LENGTH), nullable=True),
    Column("completed", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("priority", SmallInteger(), nullable=False, server_default="0"),
    Column("due_at", UtcDateTime(), nullable=True),
    Column("tags", Tags, nullable=False),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("version", Integer(), nullable=False, server_default="1"),
    Column("recurrence", String(MAX_RULE_LENGTH), nullable=True),
    Column("time_zone", String(MAX_TIME_ZONE_LENGTH), nullable=False, server_default=DEFAULT_TIME_ZONE),
    Column("remind_at", UtcDateTime(), nullable=True),
    Column("remind_before", Interval(), nullable=True),
    Column("previous_id", Uuid(), nullable=True),
    Column("reminded_at", UtcDateTime(), nullable=True),
    PrimaryKeyConstraint("user_id", "id", name="pk_tasks"),
    Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),
    Index("ix_tasks_user_id_updated_at_id", "user_id", "updated_at", "id"),
    Index("ix_tasks_user_id_due_at_id", "user_id", "due_at", "id"),
    Index("ix_tasks_user_id_priority_id", "user_id", "priority", "id"),
    Index("ix_tasks_user_id_title_id", "user_id", "title", "id"),
)
# A task has at most one successor in its series, whatever races to complete it. Partial, so that it
# holds only successors and no listing takes it for a way to the owner's tasks.
SUCCEEDS = tasks.c.previous_id.is_not(None)
Index(
    "uq_tasks_user_id_previous_id",
    tasks.c.user_id,
    tasks.c.previous_id,
    unique=True,
    postgresql_where=SUCCEEDS,
    sqlite_where=SUCCEEDS,
)
# The reminders still to fire, soonest first, across owners: the scheduler's one query.
PENDING_REMINDER = tasks.c.remind_at.is_not(None) & tasks.c.reminded_at.is_(None) & ~tasks.c.completed
Index("ix_tasks_pending_reminders", tasks.c.remind_at, postgresql_where=PENDING_REMINDER, sqlite_where=PENDING_REMINDER)

# What a task has of a series and a reminder: columns most rows leave at their defaults, the table's last.
_SCHEDULE = ("recurrence", "time_zone", "remind_at", "remind_before", "previous_id", "reminded_at")
SCHEDULE_COLUMNS = [tasks.c[name] for name in _SCHEDULE]
SCHEDULE_DEFAULTS = tuple(Task.__dataclass_fields__[name].default for name in _SCHEDULE)  # a plain task's


class PackedColumns(TypeDecorator[str]):
    """Several columns read as one value: NULL when they all hold `defaults`, else a JSON array of
    them (SQLite's `json_array`). A listing on SQLite reads the schedule columns so, as SQLite's driver
    costs about as much per column read as per value loaded (docs/performance.md)."""

    impl = Text()
    cache_ok = True

    def __init__(self, columns: list[Column[Any]], defaults: tuple[Any, ...]) -> None:
        super().__init__()
        self.columns = columns
        self.defaults = defaults


# Secrets the service generates for itself, one per database, so every worker and instance on it
# shares them and they survive restarts (the page-cursor key, `cursor_key`).
service_secrets = Table(
    "service_secrets",
    metadata,
    Column("name", String(64), nullable=False),
    Column("value", String(128), nullable=False),
    PrimaryKeyConstraint("name", name="pk_service_secrets"),
)

# Creation requests replayed with the same Idempotency-Key get the task the first one made.
idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("user_id", String(MAX_USER_ID_LENGTH), nullable=False),
    Column("key", String(MAX_IDEMPOTENCY_KEY_LENGTH), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("task_id", Uuid(), nullable=False),
    Column("task", Text(), nullable=False),  # the task as first created, as JSON
    Column("created_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_keys"),
)

# The owner's feed: the last position handed out, and the one through which retention has removed
# events. Each change takes the next position in its own transaction (the row stays locked until
# it commits), so positions follow commit order with no gaps.
event_owners = Table(
    "event_owners",
    metadata,
    Column("user_id", String(MAX_USER_ID_LENGTH), nullable=False),
    Column("last_position", BigInteger(), nullable=False),
    Column("pruned_through", BigInteger(), nullable=False, server_default="0"),
    PrimaryKeyConstraint("user_id", name="pk_event_owners"),
)

# What the task was after the change: the task's columns but its key and version (NULL for a deletion).
TASK_SNAPSHOT = [column.name for column in tasks.c if column.name not in ("id", "user_id", "version")]

# One row per change, written by triggers on `tasks` (migration 0004) in the change's own
# transaction, whichever statement made it.
task_events = Table(
    "task_events",
    metadata,
    Column("user_id", String(MAX_USER_ID_LENGTH), nullable=False),
    Column("position", BigInteger(), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("task_id", Uuid(), nullable=False),
    Column("version", Integer(), nullable=False),
    Column("time", UtcDateTime(), nullable=False),
    *(Column(name, tasks.c[name].type, nullable=True) for name in TASK_SNAPSHOT),
    Column("relay_seq", BigInteger(), nullable=True),  # the relay's order (below); NULL until it orders the event
    PrimaryKeyConstraint("user_id", "position", name="pk_task_events"),
    Index("ix_task_events_user_id_task_id_position", "user_id", "task_id", "position"),
    Index("ix_task_events_relay_seq", "relay_seq", "user_id", "position"),
)

# The relay (adapters/sql/relay.py): one row, with the last `relay_seq` handed out and the lease of the
# relay that may hand out more; and each sink's progress through that order.
event_relay = Table(
    "event_relay",
    metadata,
    Column("id", SmallInteger(), nullable=False),
    Column("last_seq", BigInteger(), nullable=False),
    Column("holder", String(64), nullable=False),
    Column("lease_until", Float(), nullable=False),  # seconds since the epoch, by the database's clock
    PrimaryKeyConstraint("id", name="pk_event_relay"),
)
event_sinks = Table(
    "event_sinks",
    metadata,
    Column("name", String(64), nullable=False),
    Column("delivered_through", BigInteger(), nullable=False),
    PrimaryKeyConstraint("name", name="pk_event_sinks"),
)
