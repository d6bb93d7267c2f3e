"""Matcher's Prometheus metrics. Labels are bounded: outcome and alert kind only."""

from prometheus_client import CollectorRegistry, Counter


class MatcherMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.sightings = Counter(
            "crosslink_matcher_sightings_total",
            "Identifier sightings: new, unchanged (already seen, or benign) or dead_lettered.",
            ["outcome"],
            registry=registry,
        )
        self.alerts = Counter(
            "crosslink_matcher_alerts_raised_total",
            "Alerts raised, by kind.",
            ["kind"],
            registry=registry,
        )
