"""The doctors' questionnaire and the alerts (issue 12): personal single-use survey links (only their HMAC kept),
the drafts of their answers, the alerts already sent to each party, the parties' digest addresses.

Written beside the sign-in pages' migration (v0005, which follows it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('digest_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=220), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_recipients')),
    sa.UniqueConstraint('party', 'email', name=op.f('uq_digest_recipients_party_email'))
    )
    with op.batch_alter_table('digest_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_digest_recipients_party'), ['party'], unique=False)

    op.create_table('alerts_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('party', sa.String(length=220), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_alerts_sent_pilot_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts_sent')),
    sa.UniqueConstraint('party', 'pilot_id', 'key', name=op.f('uq_alerts_sent_party_pilot_id_key'))
    )
    with op.batch_alter_table('alerts_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_sent_pilot_id'), ['pilot_id'], unique=False)

    op.create_table('survey_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pilot_id', sa.Integer(), nullable=False),
    sa.Column('phase', sa.Integer(), nullable=False),
    sa.Column('practitioner', sa.String(length=32), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exchanged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('session_digest', sa.String(length=64), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answer_id'], ['survey_answers.id'], name=op.f('fk_survey_invitations_answer_id'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_survey_invitations_pilot_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_invitations')),
    sa.UniqueConstraint('digest', name=op.f('uq_survey_invitations_digest')),
    sa.UniqueConstraint('session_digest', name=op.f('uq_survey_invitations_session_digest'))
    )
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_invitations_pilot_id'), ['pilot_id'], unique=False)

    op.create_table('survey_drafts',
    sa.Column('invitation_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['survey_invitations.id'], name=op.f('fk_survey_drafts_invitation_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('invitation_id', name=op.f('pk_survey_drafts'))
    )


def downgrade() -> None:
    op.drop_table('survey_drafts')
    with op.batch_alter_table('survey_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_invitations_pilot_id'))

    op.drop_table('survey_invitations')
    with op.batch_alter_table('alerts_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alerts_sent_pilot_id'))

    op.drop_table('alerts_sent')
    with op.batch_alter_table('digest_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_digest_recipients_party'))

    op.drop_table('digest_recipients')
