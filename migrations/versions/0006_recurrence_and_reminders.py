"""Recurring tasks and reminders: the columns, one successor per task, and the reminder event.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

`tasks` gains the series' rule and time zone, the reminder (`remind_at`, when it fires, and
`remind_before`, from which it follows `due_at`), `previous_id` (the task a successor follows, at
most one successor per task: a unique index) and `reminded_at` (when the reminder fired). The event
log keeps them in its snapshots, and records a `reminder` event when `reminded_at` is set without a
new version: the triggers of migration 0004 are made again with the new columns and that case.
"""

import sqlalchemy as sa
from alembic import op

from adapters.sql.schema import UtcDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

EARLIER_SNAPSHOT = ["title", "description", "completed", "created_at", "updated_at", "priority", "due_at", "tags"]
EARLIER_SNAPSHOT.append("completed_at")
ADDED = ["recurrence", "time_zone", "remind_at", "remind_before", "previous_id", "reminded_at"]
# As SQLAlchemy writes the schema's condition on each, so that the scheduler's query matches it.
PENDING_REMINDER = {
    "postgresql": "remind_at IS NOT NULL AND reminded_at IS NULL AND NOT completed",
    "sqlite": "remind_at IS NOT NULL AND reminded_at IS NULL AND completed = 0",
}


def _added_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("recurrence", sa.String(300), nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("remind_at", UtcDateTime(), nullable=True),
        sa.Column("remind_before", sa.Interval(), nullable=True),
        sa.Column("previous_id", sa.Uuid(), nullable=True),
        sa.Column("reminded_at", UtcDateTime(), nullable=True),
    ]


def postgres_function(snapshot: list[str], *, reminders: bool) -> str:
    """The trigger function of migration 0004 for these snapshot columns; with `reminders`, a change
    that only sets `reminded_at` is a `reminder` event, at the time it fired."""
    columns, values = ", ".join(snapshot), ", ".join(f"NEW.{name}" for name in snapshot)
    unchanged = (
        """ELSIF NEW.version = OLD.version AND OLD.reminded_at IS NULL AND NEW.reminded_at IS NOT NULL THEN
        changed := NEW; change_kind := 'reminder';
    ELSIF NEW.version = OLD.version THEN"""
        if reminders
        else "ELSIF NEW.version = OLD.version THEN"
    )
    time = (
        "CASE WHEN change_kind = 'reminder' THEN NEW.reminded_at ELSE NEW.updated_at END"
        if reminders
        else "NEW.updated_at"
    )
    return f"""
CREATE OR REPLACE FUNCTION record_task_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed tasks;
    change_kind text;
    next_position bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := NEW; change_kind := 'created';
    ELSIF TG_OP = 'DELETE' THEN
        changed := OLD; change_kind := 'deleted';
    {unchanged}
        RETURN NULL;
    ELSIF NEW.completed <> OLD.completed THEN
        changed := NEW; change_kind := CASE WHEN NEW.completed THEN 'completed' ELSE 'reopened' END;
    ELSE
        changed := NEW; change_kind := 'updated';
    END IF;
    INSERT INTO event_owners AS feed (user_id, last_position) VALUES (changed.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_position = feed.last_position + 1
    RETURNING feed.last_position INTO next_position;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO task_events (user_id, position, kind, task_id, version, time)
        VALUES (OLD.user_id, next_position, change_kind, OLD.id, OLD.version, now());
    ELSE
        INSERT INTO task_events (user_id, position, kind, task_id, version, time, {columns})
        VALUES (NEW.user_id, next_position, change_kind, NEW.id, NEW.version, {time}, {values});
    END IF;
    RETURN NULL;
END $$
"""


_SQLITE_NEXT = """
    INSERT INTO event_owners (user_id, last_position) VALUES ({row}.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_position = last_position + 1;
"""
_SQLITE_POSITION = "(SELECT last_position FROM event_owners WHERE user_id = {row}.user_id)"


def sqlite_triggers(snapshot: list[str], *, reminders: bool) -> dict[str, str]:
    """The triggers of migration 0004 for these snapshot columns; with `reminders`, one more."""
    columns, values = ", ".join(snapshot), ", ".join(f"NEW.{name}" for name in snapshot)
    insert = f"INSERT INTO task_events (user_id, position, kind, task_id, version, time, {columns})"
    position = _SQLITE_POSITION.format(row="NEW")
    triggers = {
        "task_created": f"""
CREATE TRIGGER task_created AFTER INSERT ON tasks BEGIN
    {_SQLITE_NEXT.format(row="NEW")}
    {insert}
    VALUES (NEW.user_id, {position}, 'created', NEW.id, NEW.version, NEW.updated_at, {values});
END
""",
        "task_changed": f"""
CREATE TRIGGER task_changed AFTER UPDATE ON tasks WHEN NEW.version <> OLD.version BEGIN
    {_SQLITE_NEXT.format(row="NEW")}
    {insert}
    VALUES (NEW.user_id, {position},
            CASE WHEN NEW.completed = OLD.completed THEN 'updated'
                 WHEN NEW.completed THEN 'completed' ELSE 'reopened' END,
            NEW.id, NEW.version, NEW.updated_at, {values});
END
""",
        # The time as SQLAlchemy stores it on SQLite (six fractional digits; SQLite's clock has three).
        "task_deleted": f"""
CREATE TRIGGER task_deleted AFTER DELETE ON tasks BEGIN
    {_SQLITE_NEXT.format(row="OLD")}
    INSERT INTO task_events (user_id, position, kind, task_id, version, time)
    VALUES (OLD.user_id, {_SQLITE_POSITION.format(row="OLD")}, 'deleted', OLD.id, OLD.version,
            strftime('%Y-%m-%d %H:%M:%f000', 'now'));
END
""",
    }
    if reminders:
        triggers["task_reminded"] = f"""
CREATE TRIGGER task_reminded AFTER UPDATE ON tasks
WHEN NEW.version = OLD.version AND OLD.reminded_at IS NULL AND NEW.reminded_at IS NOT NULL BEGIN
    {_SQLITE_NEXT.format(row="NEW")}
    {insert}
    VALUES (NEW.user_id, {position}, 'reminder', NEW.id, NEW.version, NEW.reminded_at, {values});
END
"""
    return triggers


def _make_triggers(snapshot: list[str], *, reminders: bool) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(postgres_function(snapshot, reminders=reminders))
        return
    for trigger in sqlite_triggers(snapshot, reminders=reminders).values():
        op.execute(trigger)


def _drop_sqlite_triggers(*, reminders: bool) -> None:
    if op.get_bind().dialect.name != "postgresql":
        for name in sqlite_triggers(EARLIER_SNAPSHOT, reminders=reminders):
            op.execute(f"DROP TRIGGER {name}")


def upgrade() -> None:
    _drop_sqlite_triggers(reminders=False)
    for column in _added_columns():
        op.add_column("tasks", column)
    for column in _added_columns():
        column.nullable, column.server_default = True, None
        op.add_column("task_events", column)
    op.execute("UPDATE task_events SET time_zone = 'UTC' WHERE kind <> 'deleted'")  # what the tasks had
    succeeds = sa.text("previous_id IS NOT NULL")
    op.create_index(
        "uq_tasks_user_id_previous_id",
        "tasks",
        ["user_id", "previous_id"],
        unique=True,
        postgresql_where=succeeds,
        sqlite_where=succeeds,
    )
    pending = sa.text(PENDING_REMINDER[op.get_bind().dialect.name])
    op.create_index(
        "ix_tasks_pending_reminders", "tasks", ["remind_at"], postgresql_where=pending, sqlite_where=pending
    )
    _make_triggers(EARLIER_SNAPSHOT + ADDED, reminders=True)


def downgrade() -> None:
    _drop_sqlite_triggers(reminders=True)
    op.execute("UPDATE task_events SET kind = 'updated' WHERE kind = 'reminder'")  # a kind it does not know
    op.drop_index("ix_tasks_pending_reminders", table_name="tasks")
    op.drop_index("uq_tasks_user_id_previous_id", table_name="tasks")
    # Not batch operations: on SQLite those copy the table, which the triggers name.
    for name in ADDED:
        op.execute(f"ALTER TABLE tasks DROP COLUMN {name}")
        op.execute(f"ALTER TABLE task_events DROP COLUMN {name}")
    _make_triggers(EARLIER_SNAPSHOT, reminders=False)
