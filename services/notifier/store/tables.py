"""The notifier's tables, the same on SQLite and PostgreSQL. No raw identifier is stored:
alerts hold tokens and masked forms only, exactly as the matcher published them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
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
