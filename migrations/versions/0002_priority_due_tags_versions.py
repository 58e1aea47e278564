"""Priority, due date, tags, completion time and version on tasks; idempotency keys; an index per sort.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25

Existing tasks keep every field; they get priority none, no due date, no tags, version 1, and,
when completed, completed_at = updated_at (the best time known).
"""

import sqlalchemy as sa
from alembic import op

from adapters.sql.schema import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SORT_INDEXES = {
    "ix_tasks_user_id_updated_at_id": "updated_at",
    "ix_tasks_user_id_due_at_id": "due_at",
    "ix_tasks_user_id_priority_id": "priority",
    "ix_tasks_user_id_title_id": "title",
}
NEW_COLUMNS = ("priority", "due_at", "tags", "completed_at", "version")


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    tags = sa.ARRAY(sa.String(40)).with_variant(sa.JSON(), "sqlite")
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("priority", sa.SmallInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("due_at", UtcDateTime(), nullable=True))
        batch.add_column(
            sa.Column("tags", tags, nullable=False, server_default=sa.text("'{}'" if postgres else "'[]'"))
        )
        batch.add_column(sa.Column("completed_at", UtcDateTime(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    if postgres:
        op.alter_column("tasks", "title", type_=sa.String(200, collation="C"), existing_nullable=False)
    op.execute("UPDATE tasks SET completed_at = updated_at WHERE completed")
    for name, column in SORT_INDEXES.items():
        op.create_index(name, "tasks", ["user_id", column, "id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.String(128), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", "key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    for name in SORT_INDEXES:
        op.drop_index(name, table_name="tasks")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("tasks", "title", type_=sa.String(200), existing_nullable=False)
    with op.batch_alter_table("tasks") as batch:
        for column in NEW_COLUMNS:
            batch.drop_column(column)
