"""The one schema definition, shared by the store's statements and by the Alembic migrations."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    TypeDecorator,
    Uuid,
)

from domain.task import MAX_DESCRIPTION_LENGTH, MAX_TITLE_LENGTH, MAX_USER_ID_LENGTH


class UtcDateTime(TypeDecorator[datetime]):
    """timestamptz on Postgres; on SQLite, which keeps no zone, a UTC value read back as aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()

# Columns stand in the order of the domain Task's fields: a row maps to Task(*row).
# The primary key leads with the owner: every query names the owner, so every index they use does too.
tasks = Table(
    "tasks",
    metadata,
    Column("id", Uuid(), nullable=False),
    Column("user_id", String(MAX_USER_ID_LENGTH), nullable=False),
    Column("title", String(MAX_TITLE_LENGTH), nullable=False),
    Column("description", String(MAX_DESCRIPTION_LENGTH), nullable=True),
    Column("completed", Boolean(), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    PrimaryKeyConstraint("user_id", "id", name="pk_tasks"),
    Index("ix_tasks_user_id_created_at_id", "user_id", "created_at", "id"),
)
