"""The collector's duplicates index as numbers (issue 11, decision 0004): `collector_keys` (pilot, the second of
the event's ts, 63 bits of md5(event_id), 63 bits of the md5 of its content) in place of `collector_events`
(pilot, 32 characters of key, 32 of content digest). Every row is carried over, so that a batch sent again after the
upgrade is still counted duplicated: the numbers are read off the old digests (the second from the key's 9 hex
digits after its "t"; a key of before the ts came first, md5(event_id) alone, gets the second -1, LEGACY_TS), and
as the content was digested another way then (trace_sql.LEGACY_CONTENT), its number is kept negative
(`legacy_content`), and the pilot is listed in `collector_legacy_pilots`, whose batches are checked both ways.
Going down keeps no row: 63 bits do not give back 88 or 128, and the index only counts an answer's `duplicated`
(the assessment reads the segments)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

LEGACY_TS = -1  # adapters/db/collector_repository.py
CARRIED = 10_000  # rows read and written at a time


def _number(hex_digest: str) -> int:
    """63 bits of an md5 as the collector's check takes them (trace_sql.digest63): its first 16 hex digits."""
    return int(hex_digest[:16], 16) >> 1


def _key(event: str, content: str) -> tuple[int, int, int]:
    old = -1 - _number(content)  # collector_repository.legacy_content
    if event.startswith("t"):  # "t", 9 hex digits of the second, 22 of md5(event_id)
        return int(event[1:10], 16), _number(event[10:]), old
    return LEGACY_TS, _number(event), old


def upgrade() -> None:
    keys = op.create_table(
        'collector_keys',
        sa.Column('pilot_id', sa.Integer(), nullable=False),
        sa.Column('ts', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('event', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('content', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_collector_keys_pilot_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pilot_id', 'ts', 'event', 'content', name=op.f('pk_collector_keys')),
        sqlite_with_rowid=False)
    legacy = op.create_table(
        'collector_legacy_pilots',
        sa.Column('pilot_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_collector_legacy_pilots_pilot_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pilot_id', name=op.f('pk_collector_legacy_pilots')))
    conn = op.get_bind()
    old = sa.table('collector_events', sa.column('pilot_id'), sa.column('event'), sa.column('content'))
    after: tuple[int, str, str] | None = None
    while True:  # in key order, a slice at a time: a large index is never held whole in memory
        query = sa.select(old.c.pilot_id, old.c.event, old.c.content).order_by(
            old.c.pilot_id, old.c.event, old.c.content).limit(CARRIED)
        if after is not None:
            query = query.where(sa.tuple_(old.c.pilot_id, old.c.event, old.c.content) > sa.tuple_(*after))
        rows = conn.execute(query).all()
        if not rows:
            break
        carried = {(pilot, *_key(event, content)) for pilot, event, content in rows}
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(keys)
        conn.execute(insert.on_conflict_do_nothing(),  # two digests cut to the same 63 bits: one key
                     [{"pilot_id": p, "ts": ts, "event": e, "content": c} for p, ts, e, c in sorted(carried)])
        after = (rows[-1][0], rows[-1][1], rows[-1][2])
    op.execute(sa.insert(legacy).from_select(['pilot_id'], sa.select(old.c.pilot_id).distinct()))
    op.drop_table('collector_events')


def downgrade() -> None:
    op.create_table(
        'collector_events',
        sa.Column('pilot_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=32), nullable=False),
        sa.Column('content', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['pilot_id'], ['pilots.id'], name=op.f('fk_collector_events_pilot_id'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('pilot_id', 'event', 'content', name=op.f('pk_collector_events')))
    op.drop_table('collector_legacy_pilots')
    op.drop_table('collector_keys')
