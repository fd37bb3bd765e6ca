"""The registry's verdict on each stored e-prescription: registered, or rejected with a code.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade(prefix: str = "") -> None:
    # every prescription stored before this migration was registered (the sandbox rejected nothing)
    op.add_column(f"{prefix}prescriptions",
                  sa.Column("registry_status", sa.String(16), nullable=False, server_default="registered"))
    op.add_column(f"{prefix}prescriptions", sa.Column("reject_code", sa.String(40)))


def downgrade(prefix: str = "") -> None:
    with op.batch_alter_table(f"{prefix}prescriptions") as batch:
        batch.drop_column("reject_code")
        batch.drop_column("registry_status")
