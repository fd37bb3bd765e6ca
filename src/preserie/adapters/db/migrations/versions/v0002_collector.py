"""The collector: a token per workstation, the batches received (exactly once: decision 0004), and the events
already stored (the `duplicated` count of an answer).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('workstation_tokens',
    sa.Column('workstation_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_batch_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['workstation_id'], ['workstations.id'], name=op.f('fk_workstation_tokens_workstation_id'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('workstation_id', name=op.f('pk_workstation_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_workstation_tokens_digest'))
    )
    op.create_table('collector_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('workstation_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('body_sha256', sa.String(length=64), nullable=False),
    sa.Column('uuid', sa.String(length=32), nullable=False),
    sa.Column('segment', sa.String(length=200), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_collector_batches_pilot_id'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['workstation_id'], ['workstations.id'],
                            name=op.f('fk_collector_batches_workstation_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_collector_batches')),
    sa.UniqueConstraint('uuid', name=op.f('uq_collector_batches_uuid')),
    sa.UniqueConstraint('workstation_id', 'idempotency_key',
                        name=op.f('uq_collector_batches_workstation_id_idempotency_key'))
    )
    with op.batch_alter_table('collector_batches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_collector_batches_pilot_id'), ['pilot_id'], unique=False)

    op.create_table('collector_events',
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=32), nullable=False),
    sa.Column('content', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_collector_events_pilot_id'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('pilot_id', 'event', 'content', name=op.f('pk_collector_events'))
    )


def downgrade() -> None:
    op.drop_table('collector_events')
    with op.batch_alter_table('collector_batches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_collector_batches_pilot_id'))

    op.drop_table('collector_batches')
    op.drop_table('workstation_tokens')
