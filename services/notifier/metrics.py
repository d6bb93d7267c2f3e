"""Notifier's Prometheus metrics. District codes are bounded by the directory; no identifiers."""

from prometheus_client import CollectorRegistry, Counter, Histogram


class NotifierMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.alerts = Counter(
            "crosslink_notifier_alerts_total",
            "Alerts consumed: delivered (to every district), operator_<kind> (logged for "
            "operators), or dead_lettered (undecodable).",
            ["outcome"],
            registry=registry,
        )
        self.attempts = Counter(
            "crosslink_notifier_webhook_attempts_total",
            "Webhook POST attempts, by district and outcome (delivered, http_<status>, error).",
            ["district", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "crosslink_notifier_alert_delivery_seconds",
            "From the alert being raised to its last district's webhook being accepted.",
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=registry,
        )
