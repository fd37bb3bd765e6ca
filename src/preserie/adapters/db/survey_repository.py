"""`SqlSurvey`: the questionnaire's reads and writes over the registry's engine (personal links, drafts, the
answer each link gave), and `SqlAlerts`: the alerts already sent to each party and the parties' addresses.
Writes take the caller's connection, so that an answer, its link and the pilot's history change together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Connection, Engine

from preserie.adapters.db import tables as t
from preserie.adapters.db.page_reads import remembered
from preserie.adapters.db.repository import _utc


def _row(row: Any) -> dict[str, Any]:
    return {k: _utc(v) for k, v in row._mapping.items()}


class SqlSurvey:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def invitations(self, pilot_id: int) -> list[dict[str, Any]]:
        i = t.survey_invitations
        return remembered(self.engine, ("survey_invitations", pilot_id), lambda conn: [
            _row(r) for r in conn.execute(select(i).where(i.c.pilot_id == pilot_id).order_by(i.c.id))])

    def invitation(self, *, digest: str | None = None, session: str | None = None) -> dict[str, Any] | None:
        """The invitation of a link's token digest, or of a cookie's."""
        i = t.survey_invitations
        where = i.c.digest == digest if digest is not None else i.c.session_digest == session
        with self.engine.connect() as conn:
            row = conn.execute(select(i).where(where)).first()
        return None if row is None else _row(row)

    @staticmethod
    def add_invitation(conn: Connection, **values: Any) -> int:
        i = t.survey_invitations
        return int(conn.execute(insert(i).values(**values).returning(i.c.id)).scalar_one())

    @staticmethod
    def revoke_live(conn: Connection, pilot_id: int, practitioner: str, at: dt.datetime) -> int:
        """Revoke the practitioner's links not answered yet: a new link replaces them."""
        i = t.survey_invitations
        return int(conn.execute(update(i).where(i.c.pilot_id == pilot_id, i.c.practitioner == practitioner,
                                                i.c.revoked_at.is_(None), i.c.answer_id.is_(None))
                                .values(revoked_at=at)).rowcount)

    @staticmethod
    def exchange(conn: Connection, invitation_id: int, session_digest: str, at: dt.datetime) -> bool:
        """The link's first opening: False when another request opened it first."""
        i = t.survey_invitations
        return bool(conn.execute(update(i).where(i.c.id == invitation_id, i.c.exchanged_at.is_(None),
                                                 i.c.revoked_at.is_(None))
                                 .values(exchanged_at=at, session_digest=session_digest)).rowcount)

    def draft(self, invitation_id: int) -> dict[str, Any] | None:
        d = t.survey_drafts
        with self.engine.connect() as conn:
            row = conn.execute(select(d.c.content, d.c.saved_at).where(d.c.invitation_id == invitation_id)).first()
        return None if row is None else _row(row)

    @staticmethod
    def save_draft(conn: Connection, invitation_id: int, content: dict[str, Any], at: dt.datetime) -> None:
        d = t.survey_drafts
        conn.execute(delete(d).where(d.c.invitation_id == invitation_id))
        conn.execute(insert(d).values(invitation_id=invitation_id, content=content, saved_at=at))

    @staticmethod
    def add_answer(conn: Connection, **values: Any) -> int:
        a = t.survey_answers
        return int(conn.execute(insert(a).values(**values).returning(a.c.id)).scalar_one())

    @staticmethod
    def answered(conn: Connection, invitation_id: int, answer_id: int) -> bool:
        """The link's one answer: False when it already gave one (the second submission is refused)."""
        i = t.survey_invitations
        done = conn.execute(update(i).where(i.c.id == invitation_id, i.c.answer_id.is_(None), i.c.revoked_at.is_(None))
                            .values(answer_id=answer_id)).rowcount
        if done:
            conn.execute(delete(t.survey_drafts).where(t.survey_drafts.c.invitation_id == invitation_id))
        return bool(done)


class SqlAlerts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def sent(self, party: str, pilot_id: int) -> dict[str, str]:
        """key → fingerprint of each alert the party was last sent about the pilot."""
        s = t.alerts_sent
        with self.engine.connect() as conn:
            return dict(conn.execute(select(s.c.key, s.c.fingerprint).where(s.c.party == party,
                                                                           s.c.pilot_id == pilot_id)).all())

    @staticmethod
    def record(conn: Connection, party: str, pilot_id: int, sent: Iterable[tuple[str, str]],
               cleared: Iterable[str], at: dt.datetime) -> None:
        s, sent = t.alerts_sent, list(sent)
        gone = [*(key for key, _ in sent), *cleared]
        if gone:
            conn.execute(delete(s).where(s.c.party == party, s.c.pilot_id == pilot_id, s.c.key.in_(gone)))
        rows = [{"party": party, "pilot_id": pilot_id, "key": key, "fingerprint": fingerprint, "sent_at": at}
                for key, fingerprint in sent]
        if rows:
            conn.execute(insert(s), rows)

    def recipients(self) -> dict[str, list[str]]:
        r = t.digest_recipients
        found: dict[str, list[str]] = {}
        with self.engine.connect() as conn:
            for party, email in conn.execute(select(r.c.party, r.c.email).order_by(r.c.party, r.c.id)):
                found.setdefault(party, []).append(email)
        return found

    @staticmethod
    def add_recipient(conn: Connection, party: str, email: str, at: dt.datetime) -> None:
        conn.execute(insert(t.digest_recipients).values(party=party, email=email, added_at=at))

    @staticmethod
    def remove_recipient(conn: Connection, party: str, email: str) -> int:
        r = t.digest_recipients
        return int(conn.execute(delete(r).where(r.c.party == party, r.c.email == email)).rowcount)
