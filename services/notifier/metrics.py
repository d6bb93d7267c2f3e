"""Notifier's Prometheus metrics. Labels are bounded (channels, outcomes, kinds, district codes
from the directory); none carries an identifier. docs/metrics.md lists them all."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

OPERATOR_ALERT_KINDS = (
    "hub_identifier",
    "generic_value",
    "delivery_dead_lettered",
    "webhook_endpoint_gone",
    "unknown_district",
    "undecodable_alert",
)
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 4 * 3600, 86400)


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.alerts = Counter(
            "crosslink_notifier_alerts_total",
            "Alerts consumed: stored (for districts), historical (a back-fill's link, stored "
            "without delivery), import_digest (a back-fill's digest for one district, stored "
            "when its import ended), operator (stored for the operations team), or "
            "dead_lettered (undecodable, sent to the dead-letter topic).",
            ["outcome"],
            registry=registry,
        )
        self.sign_ins = Counter(
            "crosslink_console_sign_ins_total",
            "Console sign-ins by result: signed_in, wrong_password (or no such account), "
            "wrong_code (the right password, a wrong or used second factor), locked, disabled; "
            "by single sign-on also sign_on_failed (refused, forged or the provider down) and "
            "no_account (an identity linked to no account).",
            ["result"],
            registry=registry,
        )
        self.audit_unmirrored = Gauge(
            "crosslink_notifier_audit_unmirrored_entries",
            "Audit-trail entries written in the database and not yet copied to Kafka (the "
            "copy someone rewriting the database cannot reach).",
            registry=registry,
        )
        self.consumer_lag = Gauge(
            "crosslink_notifier_consumer_lag",
            "Alerts on a partition of the alert topic not yet stored by the notifier (end "
            "offset minus position).",
            ["partition"],
            registry=registry,
        )
        self.deliveries = Counter(
            "crosslink_notifier_deliveries_total",
            "Deliveries finished, by channel and result: delivered, dead (retries exhausted "
            "or refused) or held (the endpoint answered 410 Gone).",
            ["channel", "result"],
            registry=registry,
        )
        self.attempts = Counter(
            "crosslink_notifier_delivery_attempts_total",
            "Delivery attempts by channel, district and outcome (delivered, http_<status>, "
            "smtp_<code>, or the transport error's name).",
            ["channel", "district", "outcome"],
            registry=registry,
        )
        self.delivery_latency = Histogram(
            "crosslink_notifier_delivery_latency_seconds",
            "From the alert being raised by the matcher to its delivery, by channel.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.end_to_end_latency = Histogram(
            "crosslink_notifier_end_to_end_latency_seconds",
            "From intake receiving the complaint (or registry entry) that caused an alert to "
            "the alert's delivery, by channel. Reminders are not counted.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.reminders = Counter(
            "crosslink_notifier_escalations_total",
            "Alerts re-notified to a district because nobody acknowledged them in time.",
            registry=registry,
        )
        self.operator_alerts = Counter(
            "crosslink_notifier_operator_alerts_total",
            "Operator alerts raised, by kind (hub_identifier, delivery_dead_lettered, "
            "webhook_endpoint_gone, unknown_district).",
            ["kind"],
            registry=registry,
        )
        self.outbox = Gauge(
            "crosslink_notifier_outbox_deliveries",
            "Deliveries in the outbox by channel and status (pending, delivered, held, dead).",
            ["channel", "status"],
            registry=registry,
        )
        self.oldest_unacknowledged = Gauge(
            "crosslink_notifier_oldest_unacknowledged_alert_age_seconds",
            "Age of the oldest alert no district officer has acknowledged (0 if none).",
            registry=registry,
        )
        self.imports_untold = Gauge(
            "crosslink_notifier_imports_untold",
            "Back-fills holding links as historical whose digests are not told yet: waiting to "
            "be closed by their importer, or for the matcher to pass their end "
            "(GET /v1/operator/imports says which).",
            registry=registry,
        )
        # Series the alert rules read with increase() exist from the start at 0: a series
        # first seen at 1 would hide its first (often only) event from increase().
        for channel in ("webhook", "email"):
            for result in ("delivered", "dead", "held"):
                self.deliveries.labels(channel=channel, result=result)
        for kind in OPERATOR_ALERT_KINDS:
            self.operator_alerts.labels(kind=kind)
        self.alerts.labels(outcome="dead_lettered")
        self.housekeeping_runs = Counter(
            "crosslink_notifier_housekeeping_runs_total",
            "Completed runs of the housekeeping loop (escalations and outbox gauges).",
            registry=registry,
        )
