"""The sandbox's first schema: prescriptions and their lines, dispensations, idempotency keys, the journal.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade(prefix: str = "") -> None:
    op.create_table(
        f"{prefix}prescriptions",
        sa.Column("id", sa.String(18), primary_key=True),
        sa.Column("prescriber_id", sa.String(32), nullable=False),
        sa.Column("patient_nir", sa.String(15), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("software_name", sa.String(100), nullable=False),
        sa.Column("software_version", sa.String(50), nullable=False),
        sa.Column("dispensing_visible", sa.Boolean, nullable=False),
        sa.Column("dmp_deposit", sa.Boolean, nullable=False),
    )
    for column in ("prescriber_id", "patient_nir", "created_at"):
        op.create_index(f"ix_{prefix}prescriptions_{column}", f"{prefix}prescriptions", [column])
    op.create_table(
        f"{prefix}lines",
        sa.Column("prescription_id", sa.String(18), sa.ForeignKey(f"{prefix}prescriptions.id"), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(64)),
        sa.Column("text", sa.String(1000)),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("duration_days", sa.Integer),
        sa.Column("dispensed", sa.Integer, nullable=False),
    )
    op.create_table(
        f"{prefix}dispensations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("prescription_id", sa.String(18), sa.ForeignKey(f"{prefix}prescriptions.id"), nullable=False),
        sa.Column("dispenser_id", sa.String(32), nullable=False),
        sa.Column("dispenser_role", sa.String(32), nullable=False),
        sa.Column("dispensed_at", MOMENT, nullable=False),
    )
    op.create_index(f"ix_{prefix}dispensations_prescription_id", f"{prefix}dispensations", ["prescription_id"])
    op.create_table(
        f"{prefix}dispensation_lines",
        sa.Column("dispensation_id", sa.Integer, sa.ForeignKey(f"{prefix}dispensations.id"), primary_key=True),
        sa.Column("line_number", sa.Integer, primary_key=True),
        sa.Column("quantity", sa.Integer, nullable=False),
    )
    op.create_table(
        f"{prefix}idempotency_keys",
        sa.Column("caller_id", sa.String(32), primary_key=True),
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("prescription_id", sa.String(18), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
    )
    op.create_table(
        f"{prefix}journal",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", MOMENT, nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("method", sa.String(8), nullable=False),
        sa.Column("caller_id", sa.String(32)),
        sa.Column("caller_role", sa.String(32)),
        sa.Column("prescription_id", sa.String(18)),
        sa.Column("status", sa.Integer, nullable=False),
        sa.Column("error_code", sa.String(40)),
        sa.Column("duration_ms", sa.Integer, nullable=False),
    )


def downgrade(prefix: str = "") -> None:
    for table in ("journal", "idempotency_keys", "dispensation_lines", "dispensations", "lines", "prescriptions"):
        op.drop_table(f"{prefix}{table}")
