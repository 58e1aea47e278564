"""The event log: one row per change to a task, written by triggers in the change's transaction.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

Triggers, not the store's statements, record the events: they see the row before and after
(Postgres 15 cannot return the old row from an UPDATE), so the kind of change is exact under any
concurrency, and no statement, present or future, can change a task without its event.

Existing tasks each get a `created` event showing the task as it is, at its current version, so
that replaying an owner's feed from the start gives the owner's tasks.

On SQLite a batch migration that recreates `tasks` drops these triggers: it must create them again.
"""

import sqlalchemy as sa
from alembic import op

from adapters.sql.schema import UtcDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SNAPSHOT = "title, description, completed, created_at, updated_at, priority, due_at, tags, completed_at"
NEW_SNAPSHOT = ", ".join(f"NEW.{name.strip()}" for name in SNAPSHOT.split(","))

# Postgres: one trigger function for every change; the owner's row in event_owners stays locked
# until the change commits, so the next change of that owner takes the next position after it.
POSTGRES_FUNCTION = f"""
CREATE FUNCTION record_task_event() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed tasks;
    change_kind text;
    next_position bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed := NEW; change_kind := 'created';
    ELSIF TG_OP = 'DELETE' THEN
        changed := OLD; change_kind := 'deleted';
    ELSIF NEW.version = OLD.version THEN
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
        INSERT INTO task_events (user_id, position, kind, task_id, version, time, {SNAPSHOT})
        VALUES (NEW.user_id, next_position, change_kind, NEW.id, NEW.version, NEW.updated_at, {NEW_SNAPSHOT});
    END IF;
    RETURN NULL;
END $$
"""
POSTGRES_TRIGGER = """
CREATE TRIGGER record_task_event AFTER INSERT OR UPDATE OR DELETE ON tasks
FOR EACH ROW EXECUTE FUNCTION record_task_event()
"""

# SQLite: one writer at a time, so the owner's next position is simply its last one plus one.
_SQLITE_NEXT = """
    INSERT INTO event_owners (user_id, last_position) VALUES ({row}.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_position = last_position + 1;
"""
_SQLITE_POSITION = "(SELECT last_position FROM event_owners WHERE user_id = {row}.user_id)"
SQLITE_TRIGGERS = {
    "task_created": f"""
CREATE TRIGGER task_created AFTER INSERT ON tasks BEGIN
    {_SQLITE_NEXT.format(row="NEW")}
    INSERT INTO task_events (user_id, position, kind, task_id, version, time, {SNAPSHOT})
    VALUES (NEW.user_id, {_SQLITE_POSITION.format(row="NEW")}, 'created', NEW.id, NEW.version, NEW.updated_at,
            {NEW_SNAPSHOT});
END
""",
    "task_changed": f"""
CREATE TRIGGER task_changed AFTER UPDATE ON tasks WHEN NEW.version <> OLD.version BEGIN
    {_SQLITE_NEXT.format(row="NEW")}
    INSERT INTO task_events (user_id, position, kind, task_id, version, time, {SNAPSHOT})
    VALUES (NEW.user_id, {_SQLITE_POSITION.format(row="NEW")},
            CASE WHEN NEW.completed = OLD.completed THEN 'updated'
                 WHEN NEW.completed THEN 'completed' ELSE 'reopened' END,
            NEW.id, NEW.version, NEW.updated_at, {NEW_SNAPSHOT});
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

BACKFILL_EVENTS = f"""
INSERT INTO task_events (user_id, position, kind, task_id, version, time, {SNAPSHOT})
SELECT user_id, row_number() OVER (PARTITION BY user_id ORDER BY created_at, id), 'created', id, version,
       updated_at, {SNAPSHOT}
FROM tasks
"""
BACKFILL_OWNERS = """
INSERT INTO event_owners (user_id, last_position)
SELECT user_id, count(*) FROM tasks GROUP BY user_id
"""


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "event_owners",
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("last_position", sa.BigInteger(), nullable=False),
        sa.Column("pruned_through", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("user_id", name="pk_event_owners"),
    )
    title = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
    tags = sa.ARRAY(sa.String(40)).with_variant(sa.JSON(), "sqlite")
    op.create_table(
        "task_events",
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("position", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("time", UtcDateTime(), nullable=False),
        sa.Column("title", title, nullable=True),
        sa.Column("description", sa.String(1000), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=True),
        sa.Column("due_at", UtcDateTime(), nullable=True),
        sa.Column("tags", tags, nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("user_id", "position", name="pk_task_events"),
    )
    op.create_index("ix_task_events_user_id_task_id_position", "task_events", ["user_id", "task_id", "position"])
    op.execute(BACKFILL_EVENTS)
    op.execute(BACKFILL_OWNERS)
    if postgres:
        op.execute(POSTGRES_FUNCTION)
        op.execute(POSTGRES_TRIGGER)
    else:
        for trigger in SQLITE_TRIGGERS.values():
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER record_task_event ON tasks")
        op.execute("DROP FUNCTION record_task_event()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("task_events")
    op.drop_table("event_owners")
