"""Secrets the service keeps per database: a page-cursor key, generated here.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "service_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.String(128), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_service_secrets"),
    )
    op.bulk_insert(table, [{"name": "cursor_key", "value": secrets.token_hex(32)}])


def downgrade() -> None:
    op.drop_table("service_secrets")
