"""The one schema definition, shared by the store's statements and by the Alembic migrations."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    Integer,
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

from domain.task import (
    MAX_DESCRIPTION_LENGTH,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_USER_ID_LENGTH,
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
    PrimaryKeyConstraint("user_id", "id", name="pk_tasks"),
    Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),
    Index("ix_tasks_user_id_updated_at_id", "user_id", "updated_at", "id"),
    Index("ix_tasks_user_id_due_at_id", "user_id", "due_at", "id"),
    Index("ix_tasks_user_id_priority_id", "user_id", "priority", "id"),
    Index("ix_tasks_user_id_title_id", "user_id", "title", "id"),
)

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
