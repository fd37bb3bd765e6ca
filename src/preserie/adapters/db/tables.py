"""The registry's tables. A change here needs a migration (`migrations/versions/`): a test compares the two."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s", "pk": "pk_%(table_name)s"})
_MOMENT = DateTime(timezone=True)


def _required(name: str, kind: Any, **options: Any) -> Column[Any]:
    return Column(name, kind, nullable=False, **options)


def _pilot() -> Column[Any]:
    return _required("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), index=True)


accounts = Table(
    "accounts", metadata, Column("id", Integer, primary_key=True),
    _required("role", String(16)), _required("name", String(200)),
    Column("vendor", String(200)), Column("department", String(3)),
    _required("created_at", _MOMENT),
    Column("revoked_at", _MOMENT))  # v0005: a revoked account's tokens, password and sessions all stop at once

tokens = Table(
    "tokens", metadata, Column("id", Integer, primary_key=True),
    _required("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    _required("digest", String(64), unique=True),  # HMAC-SHA256 of the token under the data directory's secret
    _required("created_at", _MOMENT), _required("expires_at", _MOMENT), Column("revoked_at", _MOMENT))

audit = Table(
    "audit", metadata, Column("id", Integer, primary_key=True), _required("at", _MOMENT, index=True),
    Column("account_id", Integer), Column("role", String(16)), _required("method", String(8)),
    _required("route", String(200)), Column("pilot", String(32), index=True), _required("status", Integer))

modules = Table(
    "modules", metadata, Column("id", Integer, primary_key=True), _required("vendor", String(200)),
    _required("name", String(200)), Column("description", Text),
    UniqueConstraint("vendor", "name"))

products = Table(
    "products", metadata, Column("id", Integer, primary_key=True), _required("vendor", String(200)),
    _required("name", String(200)), Column("module_id", ForeignKey("modules.id"), index=True),
    _required("audience", String(16)),
    # an integrator of a third-party e-prescription engine: the présérie of the engine's vendor does not cover it
    _required("third_party_engine", Boolean),
    UniqueConstraint("vendor", "name"))

pilots = Table(
    "pilots", metadata, Column("id", Integer, primary_key=True),
    _required("key", String(32), unique=True),  # the public id, in URLs: opaque, not guessable from another's
    _required("ref", String(32)),  # the vendor's own id of the pilot (pilot.yaml `id`)
    _required("vendor", String(200), index=True), Column("module_id", ForeignKey("modules.id"), index=True),
    _required("status", String(24)), _required("phase", Integer),
    _required("declaration", JSON),  # pilot.yaml without its practitioners (they are rows of `practitioners`)
    # « pourra être revu à 3 PS »: the Cnam's decision on the reduced minimum (None: not decided)
    Column("reduced_minimum", Boolean),
    _required("created_at", _MOMENT), _required("updated_at", _MOMENT))

phases = Table(
    "phases", metadata, Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    _required("software_version", String(100)), _required("opened_at", _MOMENT), Column("closed_at", _MOMENT))

practitioners = Table(
    "practitioners", metadata, Column("id", Integer, primary_key=True), _pilot(),
    _required("phase", Integer), _required("ref", String(32)), _required("situation", String(16)),
    Column("health_center", String(32)), Column("specialty", String(16)), Column("practice", String(16)),
    _required("cpam", String(3), index=True), _required("equipped", Boolean),
    Column("agreement_on", Date), Column("compatibility_checked_on", Date), Column("compatible", Boolean),
    Column("compatibility_note", Text),
    Column("planned_installation_on", Date), Column("planned_training_on", Date),
    Column("installed_on", Date), Column("installed_by", Integer), Column("trained_on", Date),
    Column("trained_by", Integer),
    UniqueConstraint("pilot_id", "ref"))

meetings = Table(
    "meetings", metadata, Column("id", Integer, primary_key=True), _pilot(), _required("held_on", Date),
    _required("participants", JSON), _required("recorded_by", Integer), _required("recorded_at", _MOMENT))

workstations = Table(
    "workstations", metadata, Column("id", Integer, primary_key=True), _pilot(),
    _required("practitioner_id", ForeignKey("practitioners.id", ondelete="CASCADE"), index=True),
    _required("phase", Integer), _required("enrolled_at", _MOMENT), _required("enrolled_by", Integer))

anomalies = Table(
    "anomalies", metadata, Column("id", Integer, primary_key=True), _pilot(), _required("phase", Integer),
    _required("ref", String(64)), _required("opened_on", Date), _required("opened_by", Integer),
    Column("operation", String(16)), _required("severity", String(16)), _required("origin", String(16)),
    Column("practitioner", String(32)), _required("summary", Text),
    Column("acknowledged_at", _MOMENT), Column("acknowledged_by", Integer),
    Column("fixed_at", _MOMENT), Column("fixed_by", Integer), Column("fixed_in_version", String(100)),
    Column("closed_on", Date), Column("closed_by", Integer),
    UniqueConstraint("pilot_id", "ref"))

survey_answers = Table(
    "survey_answers", metadata, Column("id", Integer, primary_key=True), _pilot(), _required("phase", Integer),
    _required("practitioner", String(32)), _required("submitted_on", Date),
    *(_required(score, Integer) for score in ("ease", "speed", "integration", "training", "support", "overall")),
    _required("blocking_issue", Boolean), Column("blocking_issue_text", Text), Column("comment", Text),
    _required("recorded_by", Integer), _required("recorded_at", _MOMENT))

decisions = Table(
    "decisions", metadata, Column("id", Integer, primary_key=True), _pilot(), _required("phase", Integer),
    _required("decision", String(16)), _required("decided_at", _MOMENT), _required("decided_by", Integer),
    Column("justification", Text),
    _required("assessment", Text),  # the preserie.assessment/1 JSON the decision rests on, exactly as computed
    _required("assessment_sha256", String(64)))

history = Table(
    "history", metadata, Column("id", Integer, primary_key=True), _pilot(), _required("at", _MOMENT),
    Column("account_id", Integer), _required("event", String(32)), Column("from_status", String(24)),
    Column("to_status", String(24)), Column("detail", Text))

# ── the collector (v0002): workstation tokens, batches received exactly once, the events already stored ──────
workstation_tokens = Table(
    "workstation_tokens", metadata,
    Column("workstation_id", ForeignKey("workstations.id", ondelete="CASCADE"), primary_key=True),
    _required("digest", String(64), unique=True),  # HMAC-SHA256 of the workstation's token (prw_…)
    _required("created_at", _MOMENT), Column("last_batch_at", _MOMENT), Column("revoked_at", _MOMENT),
    Column("revoked_by", Integer))

collector_batches = Table(
    "collector_batches", metadata, Column("id", Integer, primary_key=True), _pilot(),
    _required("workstation_id", ForeignKey("workstations.id", ondelete="CASCADE")),
    _required("idempotency_key", String(128)), _required("body_sha256", String(64)),
    _required("uuid", String(32), unique=True),  # in the segment's name: `collector.<uuid>` (decision 0004)
    _required("segment", String(200)), _required("phase", Integer), _required("received_at", _MOMENT),
    _required("answer", JSON),  # the 201's body, given again to a retry of the same batch
    UniqueConstraint("workstation_id", "idempotency_key"))

# the duplicates index (v0006, decision 0004): a stored event's key as numbers, the second of its ts first (-1: an
# event indexed before the ts was in its key), then 63 bits of md5(event_id) and of its other fields as normalised
collector_keys = Table(
    "collector_keys", metadata, Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True),
    Column("ts", BigInteger, primary_key=True, autoincrement=False),
    Column("event", BigInteger, primary_key=True, autoincrement=False),
    Column("content", BigInteger, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False)  # the key is the row: one B-tree, not a table and its index
# the pilots whose index holds rows carried over from before v0006 (their content digested the old way, as a negative
# number; the second -1 for a key of before the ts was in it): looked up in both ways
collector_legacy_pilots = Table(
    "collector_legacy_pilots", metadata,
    Column("pilot_id", ForeignKey("pilots.id", ondelete="CASCADE"), primary_key=True, autoincrement=False))
# ── the registry extract's uploads (v0003) ──
registration_uploads = Table(
    "registration_uploads", metadata, Column("id", Integer, primary_key=True), _pilot(),
    _required("phase", Integer), _required("number", Integer), _required("uploaded_at", _MOMENT),
    _required("uploaded_by", Integer), _required("rows", Integer), _required("new", Integer),
    _required("replaced", Integer),
    UniqueConstraint("pilot_id", "number"))
# ── the doctors' questionnaire and the alerts (v0004) ──
survey_invitations = Table(
    "survey_invitations", metadata, Column("id", Integer, primary_key=True), _pilot(),
    _required("phase", Integer), _required("practitioner", String(32)),
    _required("digest", String(64), unique=True),  # HMAC-SHA256 of the link's token (prq_…), single use
    _required("created_at", _MOMENT), _required("created_by", Integer), _required("expires_at", _MOMENT),
    Column("revoked_at", _MOMENT),  # replaced by a newer invitation of the same doctor
    Column("exchanged_at", _MOMENT),  # the link opened: its token exchanged for the cookie's
    Column("session_digest", String(64), unique=True),  # HMAC-SHA256 of the cookie's token (prc_…)
    Column("answer_id", ForeignKey("survey_answers.id", ondelete="SET NULL")))  # the one answer it gave

survey_drafts = Table(
    "survey_drafts", metadata,
    Column("invitation_id", ForeignKey("survey_invitations.id", ondelete="CASCADE"), primary_key=True),
    _required("content", JSON), _required("saved_at", _MOMENT))

alerts_sent = Table(
    "alerts_sent", metadata, Column("id", Integer, primary_key=True), _pilot(),
    _required("party", String(220)),  # cnam, gie, vendor:<name>, cpam:<department> (domain.alerts.party_of)
    _required("key", String(200)), _required("fingerprint", String(64)), _required("sent_at", _MOMENT),
    UniqueConstraint("party", "pilot_id", "key"))

digest_recipients = Table(
    "digest_recipients", metadata, Column("id", Integer, primary_key=True),
    _required("party", String(220), index=True), _required("email", String(254)), _required("added_at", _MOMENT),
    UniqueConstraint("party", "email"))

# ── people's sign-in to the web pages (v0005): a password per account, and the sessions of the browsers ──
account_passwords = Table(
    "account_passwords", metadata,
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    _required("login", String(200), unique=True),  # what a person types: the account's name, case-folded
    _required("hash", String(200)),  # argon2id, its parameters and salt included
    _required("set_at", _MOMENT),
    _required("failed_attempts", Integer),  # consecutive failures since the last sign-in or lockout
    Column("locked_until", _MOMENT))

web_sessions = Table(
    "web_sessions", metadata, Column("id", Integer, primary_key=True),
    _required("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    _required("digest", String(64), unique=True),  # HMAC-SHA256 of the session id: the id itself is never kept
    _required("csrf", String(64)),  # the token every form of this session carries
    _required("created_at", _MOMENT), _required("expires_at", _MOMENT, index=True))
