"""Idempotency keys of dispensings, each with the answer its dispensing gave (replayed to a retry).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade(prefix: str = "") -> None:
    op.create_table(
        f"{prefix}dispensation_keys",
        sa.Column("caller_id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade(prefix: str = "") -> None:
    op.drop_table(f"{prefix}dispensation_keys")
