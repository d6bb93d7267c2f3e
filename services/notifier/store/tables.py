"""The notifier's tables, the same on SQLite and PostgreSQL. No raw identifier is stored:
alerts hold tokens and masked forms only, exactly as the matcher published them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every database."""

    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.astimezone(UTC).replace(tzinfo=None) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


metadata = MetaData()
ID = String(80)
DISTRICT = String(32)

alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", ID, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("raised_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime),  # when what caused the alert reached intake
    Column("stored_at", UtcDateTime, nullable=False),
    Column("event", Text, nullable=False),  # the AlertRaised JSON
)

# One row per (alert, district): the district's inbox and the officer's workflow on it.
inbox_items = Table(
    "inbox_items",
    metadata,
    Column("alert_id", ID, ForeignKey("alerts.alert_id"), primary_key=True),
    Column("district", DISTRICT, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),  # new, acknowledged, actioned, closed
    Column("note", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("acknowledged_at", UtcDateTime),
    Column("reminders", Integer, nullable=False, default=0),
    Index("inbox_by_district", "district", "created_at", "alert_id"),
    Index("inbox_unacknowledged", "status", "created_at"),
)

# The outbox: one row per (alert, district, channel, purpose), stored before the alert's
# offset is committed. `delivery_id` is the webhook-id (or the email's Message-ID).
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_id", ID, primary_key=True),
    Column("alert_id", ID, ForeignKey("alerts.alert_id"), nullable=False),
    Column("district", DISTRICT, nullable=False),
    Column("channel", String(16), nullable=False),  # webhook, email
    Column("purpose", String(16), nullable=False),  # alert, reminder
    Column("status", String(16), nullable=False),  # pending, delivered, held, dead
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_outcome", String(64)),
    Column("created_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Index("deliveries_due", "status", "next_attempt_at"),
    Index("deliveries_of_alert", "alert_id", "district"),
)

# A webhook endpoint that answered 410 Gone is not used again until an operator re-enables it
# (or the directory gives the district another URL).
disabled_endpoints = Table(
    "disabled_endpoints",
    metadata,
    Column("district", DISTRICT, primary_key=True),
    Column("url", Text, nullable=False),
    Column("disabled_at", UtcDateTime, nullable=False),
)

# What the operations team must look at: the matcher's operator alerts (hub identifiers) and
# the notifier's own (dead letters, endpoints gone, districts missing from the directory).
operator_alerts = Table(
    "operator_alerts",
    metadata,
    Column("operator_alert_id", ID, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("reason", Text, nullable=False),
    Column("district", DISTRICT),
    Column("alert_id", ID),
    Column("delivery_id", ID),
    Column("raised_at", UtcDateTime, nullable=False),
    Index("operator_alerts_by_time", "raised_at"),
)

# Console sessions signed out before they expired (services/notifier/console): their cookies
# are refused until then, whichever notifier sharing this database is asked.
console_signed_out = Table(
    "console_signed_out",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
)

# Officers' console accounts (services/notifier/accounts): who they are, where they serve and
# their credentials. API keys are for machines; a person signs in with one of these.
officers = Table(
    "officers",
    metadata,
    Column("username", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(32), nullable=False),
    Column("district", DISTRICT),  # for a district's roles
    Column("state", String(100)),  # for a state nodal officer
    Column("password_hash", Text, nullable=False),  # argon2id, with its parameters and salt
    Column("totp_secret", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # active, locked, disabled
    Column("failed_codes", Integer, nullable=False, default=0),  # wrong codes since the last good
    Column("last_code_step", Integer),  # a code's 30 s step is accepted once only
    Column("stamp", String(32), nullable=False),  # changes end every session of the account
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("last_sign_in_at", UtcDateTime),
)

# The audit trail (services/notifier/audit): appended, never changed. The database refuses an
# UPDATE or DELETE of it (triggers, database.py); `crosslink audit verify` finds one made anyway.
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("entry_id", ID, nullable=False, unique=True),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(40), nullable=False),
    Column("district", DISTRICT),
    Column("target", String(200)),
    Column("detail", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("audit_by_district", "district", "seq"),
)

# One row: the last audit entry written (appending locks it, so entries are numbered one
# after the other across notifiers) and how far the Kafka mirror has copied.
audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("chain", String(32), nullable=False),  # names this database's trail (its copies)
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    Column("mirrored_seq", Integer, nullable=False),
)

# Officers' word on an alert's link (services/notifier/console/feedback.py): "not linked", one
# row per complaint of the district withdrawn from the link, with the reason; or "confirmed",
# one row per alert and district, with the outcomes reported (kept up to date, never summed).
link_feedback = Table(
    "link_feedback",
    metadata,
    Column("alert_id", ID, ForeignKey("alerts.alert_id"), primary_key=True),
    Column("district", DISTRICT, primary_key=True),
    Column("verdict", String(16), primary_key=True),  # not_linked, confirmed
    Column("complaint_id", String(100), primary_key=True),  # "" for confirmed
    Column("reason", String(32)),  # why not linked (LinkWithdrawn.reason)
    Column("withdrawal_id", ID),
    Column("fir_number", String(60)),
    Column("arrests", Integer),
    Column("amount_frozen", BigInteger),  # rupees: crores overflow a 32-bit integer
    Column("amount_recovered", BigInteger),  # rupees
    Column("officer", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    Index("link_feedback_by_district", "district", "verdict"),
)

# Which identity at the state's OpenID Connect provider signs in as which account
# (console/single_sign_on.py): the provider's issuer and its `sub` for the officer. The account
# keeps its role and place here; the provider only says who the person is.
officer_sign_ons = Table(
    "officer_sign_ons",
    metadata,
    Column("issuer", String(300), primary_key=True),
    Column("subject", String(255), primary_key=True),
    Column("username", String(64), ForeignKey("officers.username"), nullable=False, unique=True),
    Column("linked_at", UtcDateTime, nullable=False),
)

# Back-fills (POST /v1/complaints/batch with an import id). An import's row is written, and so
# locked, by every transaction storing one of its links or a pass of its end (ImportPassed), and
# by the one storing its digests, which sets `digested_at`: a link is either counted in the
# digests or, stored after them, delivered as any alert.
imports = Table(
    "imports",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("district", DISTRICT),  # the district that closed it
    Column("closed_at", UtcDateTime),
    Column("passes", Integer, nullable=False, default=0),  # passes of its end stored so far
    Column("digested_at", UtcDateTime),
)

# Each pass of an import's end: one per source partition, on each alerts partition.
import_passes = Table(
    "import_passes",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("source_topic", String(100), primary_key=True),
    Column("source_partition", Integer, primary_key=True),
    Column("alerts_partition", Integer, primary_key=True),
)

# The alerts a back-filled complaint raised, by import: what its digests count. Their inbox
# items are "historical" and have no delivery of their own.
import_alerts = Table(
    "import_alerts",
    metadata,
    Column("import_id", String(64), primary_key=True),
    Column("alert_id", ID, ForeignKey("alerts.alert_id"), primary_key=True),
    Index("import_alerts_by_alert", "alert_id"),  # is this alert a back-fill's link?
)
