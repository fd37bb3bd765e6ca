"""Each upload of the national registry's extract, kept with who and when (issue 11: C2's other half)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registration_uploads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('new', sa.Integer(), nullable=False),
    sa.Column('replaced', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_registration_uploads_pilot_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_uploads')),
    sa.UniqueConstraint('pilot_id', 'number', name=op.f('uq_registration_uploads_pilot_id_number'))
    )
    with op.batch_alter_table('registration_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_registration_uploads_pilot_id'), ['pilot_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('registration_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_registration_uploads_pilot_id'))

    op.drop_table('registration_uploads')
