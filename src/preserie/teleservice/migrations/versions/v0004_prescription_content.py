"""The content of a prescription as the public models have it, and its life cycle: the prescriber's RPPS and
structure, the dates (authored, valid until, desired execution), the cancel; per line the posology, renewals,
substitution and coverage flags.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

PRESCRIPTION_COLUMNS = (
    ("prescriber_rpps", sa.String(11)), ("structure_kind", sa.String(8)), ("structure_id", sa.String(9)),
    ("authored_on", sa.Date()), ("valid_until", sa.Date()), ("execute_on", sa.Date()),
    ("cancelled_at", sa.DateTime(timezone=True)),
)
FLAGS = ("ald", "at_mp", "prevention", "non_reimbursable")


def upgrade(prefix: str = "") -> None:
    # Rows stored before: no prescriber or dates (they never expire), lines without posology, covered normally.
    for name, kind in PRESCRIPTION_COLUMNS:
        op.add_column(f"{prefix}prescriptions", sa.Column(name, kind))
    op.add_column(f"{prefix}lines", sa.Column("posology", sa.Text()))
    op.add_column(f"{prefix}lines", sa.Column("renewals", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(f"{prefix}lines", sa.Column("substitution_allowed", sa.Boolean()))
    for flag in FLAGS:
        op.add_column(f"{prefix}lines", sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade(prefix: str = "") -> None:
    with op.batch_alter_table(f"{prefix}lines") as batch:
        for name in ("posology", "renewals", "substitution_allowed", *FLAGS):
            batch.drop_column(name)
    with op.batch_alter_table(f"{prefix}prescriptions") as batch:
        for name, _ in PRESCRIPTION_COLUMNS:
            batch.drop_column(name)
