"""Intake's Prometheus metrics. Labels are bounded: outcome, identifier type; never values."""

from prometheus_client import CollectorRegistry, Counter, Histogram


class IntakeMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.complaints = Counter(
            "crosslink_intake_complaints_total",
            "Complaint POSTs answered, by HTTP status (202 accepted, 4xx refused, 503 no broker).",
            ["status"],
            registry=registry,
        )
        self.identifiers = Counter(
            "crosslink_intake_identifiers_published_total",
            "Identifier-sighted events acknowledged by the broker, by identifier type.",
            ["type"],
            registry=registry,
        )
        self.publish_seconds = Histogram(
            "crosslink_intake_publish_seconds",
            "Time from sending a complaint's events to the broker's acknowledgement of all.",
            registry=registry,
        )
