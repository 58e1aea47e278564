"""The relay's bookkeeping: the order in which it delivers the log's events, and how far each sink got.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

`task_events.relay_seq` is NULL until the relay orders the event: it numbers the events it sees
committed, 1, 2, 3, ... across every owner, in each owner's position order (adapters/sql/relay.py).
`event_relay` is one row: the last number handed out, and which relay holds the lease to hand out
more. `event_sinks` holds each sink's progress; retention keeps what any sink still lacks.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("task_events", sa.Column("relay_seq", sa.BigInteger(), nullable=True))
    # The events not yet ordered (NULL) by owner and position, then the ordered ones in their order.
    op.create_index("ix_task_events_relay_seq", "task_events", ["relay_seq", "user_id", "position"])
    relay = op.create_table(
        "event_relay",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("lease_until", sa.Float(), nullable=False),  # seconds since the epoch, by the database's clock
        sa.PrimaryKeyConstraint("id", name="pk_event_relay"),
    )
    op.bulk_insert(relay, [{"id": 1, "last_seq": 0, "holder": "", "lease_until": 0.0}])
    op.create_table(
        "event_sinks",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("delivered_through", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_event_sinks"),
    )


def downgrade() -> None:
    op.drop_table("event_sinks")
    op.drop_table("event_relay")
    op.drop_index("ix_task_events_relay_seq", table_name="task_events")
    # Not a batch operation: on SQLite that copies the table, which the triggers on `tasks` name.
    op.execute("ALTER TABLE task_events DROP COLUMN relay_seq")
