"""Matcher's Prometheus metrics. Labels are bounded: outcome, alert kind and rule only."""

from prometheus_client import CollectorRegistry, Counter


class MatcherMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.events = Counter(
            "crosslink_matcher_events_total",
            "Sightings and registry entries processed: changed (state updated), unchanged "
            "(already seen, or benign) or dead_lettered (undecodable).",
            ["outcome"],
            registry=registry,
        )
        self.alerts = Counter(
            "crosslink_matcher_alerts_raised_total",
            "Alerts raised, by kind and rule; kind hub_identifier counts hub identifiers found.",
            ["kind", "rule"],
            registry=registry,
        )
