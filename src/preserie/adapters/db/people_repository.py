"""`SqlPeople`: the people's passwords and their browsers' sessions (migration 0005), beside `SqlRegistry`.

A session row holds a digest of the session id, never the id; a password row the argon2id hash, never the
password. Every read joins the account, so that a revoked account stops at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine

from preserie.adapters.db import tables as t
from preserie.adapters.db.repository import _utc

_ACCOUNT = (t.accounts.c.id.label("account_id"), t.accounts.c.role, t.accounts.c.name, t.accounts.c.vendor,
            t.accounts.c.department, t.accounts.c.revoked_at)


def _row(row: Any) -> dict[str, Any] | None:
    return None if row is None else {k: _utc(v) for k, v in row._mapping.items()}


class SqlPeople:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _writing(self) -> Any:
        return self.engine.execution_options(immediate=True).begin()

    # ── passwords ────────────────────────────────────────────────────────────────────────────────────────
    def password(self, login: str) -> dict[str, Any] | None:
        """The password row of this login with its account, or None."""
        p = t.account_passwords
        query = (select(*_ACCOUNT, p.c.hash, p.c.failed_attempts, p.c.locked_until)
                 .join(t.accounts, t.accounts.c.id == p.c.account_id).where(p.c.login == login))
        with self.engine.connect() as conn:
            return _row(conn.execute(query).first())

    def login_taken(self, login: str, account_id: int) -> bool:
        """Whether another account already signs in with this login."""
        p = t.account_passwords
        query = select(p.c.account_id).where(p.c.login == login, p.c.account_id != account_id)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def set_password(self, account_id: int, login: str, hashed: str, at: dt.datetime) -> None:
        """The account's new password; its failures and lockout forgotten, its sessions ended."""
        with self._writing() as conn:
            conn.execute(delete(t.account_passwords).where(t.account_passwords.c.account_id == account_id))
            conn.execute(insert(t.account_passwords).values(account_id=account_id, login=login, hash=hashed,
                                                            set_at=at, failed_attempts=0, locked_until=None))
            conn.execute(delete(t.web_sessions).where(t.web_sessions.c.account_id == account_id))

    def rehash(self, account_id: int, hashed: str) -> None:
        with self._writing() as conn:
            conn.execute(update(t.account_passwords).where(t.account_passwords.c.account_id == account_id)
                         .values(hash=hashed))

    def failed(self, account_id: int, *, at: dt.datetime, limit: int, lockout: dt.timedelta) -> dt.datetime | None:
        """One more failed attempt; at the ``limit``-th in a row the account is locked for ``lockout`` (and the
        count starts again): until when, or None."""
        p = t.account_passwords
        with self._writing() as conn:
            failures = int(conn.execute(update(p).where(p.c.account_id == account_id)
                                        .values(failed_attempts=p.c.failed_attempts + 1)
                                        .returning(p.c.failed_attempts)).scalar_one())
            if failures < limit:
                return None
            until = at + lockout
            conn.execute(update(p).where(p.c.account_id == account_id).values(failed_attempts=0,
                                                                              locked_until=until))
            return until

    # ── sessions ─────────────────────────────────────────────────────────────────────────────────────────
    def open_session(self, account_id: int, *, digest: str, csrf: str, at: dt.datetime, expires_at: dt.datetime,
                     replacing: str | None) -> None:
        """A signed-in session: the account's failures forgotten, the session it replaces (the same browser's
        earlier one) and every expired session gone."""
        s, p = t.web_sessions, t.account_passwords
        with self._writing() as conn:
            conn.execute(update(p).where(p.c.account_id == account_id).values(failed_attempts=0, locked_until=None))
            if replacing is not None:
                conn.execute(delete(s).where(s.c.digest == replacing))
            conn.execute(delete(s).where(s.c.expires_at <= at))
            conn.execute(insert(s).values(account_id=account_id, digest=digest, csrf=csrf, created_at=at,
                                          expires_at=expires_at))

    def session(self, digest: str) -> dict[str, Any] | None:
        """The session of this digest with its account, or None."""
        s = t.web_sessions
        query = (select(*_ACCOUNT, s.c.csrf, s.c.expires_at)
                 .join(t.accounts, t.accounts.c.id == s.c.account_id).where(s.c.digest == digest))
        with self.engine.connect() as conn:
            return _row(conn.execute(query).first())

    def close_session(self, digest: str) -> None:
        with self._writing() as conn:
            conn.execute(delete(t.web_sessions).where(t.web_sessions.c.digest == digest))
