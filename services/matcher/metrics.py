"""Matcher's Prometheus metrics. Labels are bounded: outcome, alert kind and rule only."""

from prometheus_client import CollectorRegistry, Counter, Gauge


class MatcherMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.positions: dict[tuple[str, int], int] = {}  # (topic, partition) -> position
        self.events = Counter(
            "crosslink_matcher_events_total",
            "Sightings and registry entries processed: changed (state updated), unchanged "
            "(already seen, or benign) or dead_lettered (undecodable).",
            ["outcome"],
            registry=registry,
        )
        self.position = Gauge(
            "crosslink_matcher_position",
            "Offset after the last event the matcher finished, per input partition. Compare "
            "with the committed offset: faust may stall commits after a restart (see "
            "docs/matching.md); processing goes on, and this shows how far.",
            ["topic", "partition"],
            registry=registry,
        )
        self.lag = Gauge(
            "crosslink_matcher_consumer_lag",
            "Records on an input partition not yet processed by the matcher (the partition's "
            "end offset minus the position), refreshed every few seconds.",
            ["topic", "partition"],
            registry=registry,
        )
        self.alerts = Counter(
            "crosslink_matcher_alerts_raised_total",
            "Alerts raised, by kind and rule; kind hub_identifier counts hub identifiers found.",
            ["kind", "rule"],
            registry=registry,
        )
        # Series the alert rules read with increase() exist from the start at 0 (a series
        # first seen at 1 would hide its first event from increase()).
        self.alerts.labels(kind="hub_identifier", rule="hub_identifier")
        # Resolved once: a labels() lookup per event was a measurable share of the matcher's CPU.
        self.changed = self.events.labels(outcome="changed")
        self.unchanged = self.events.labels(outcome="unchanged")
        self.dead_lettered = self.events.labels(outcome="dead_lettered")
        self._position_of: dict[tuple[str, int], Gauge] = {}

    def record_position(self, topic: str, partition: int, position: int) -> None:
        """The offset after the last event finished on a partition, kept and exported."""
        self.positions[(topic, partition)] = position
        gauge = self._position_of.get((topic, partition))
        if gauge is None:
            gauge = self.position.labels(topic=topic, partition=str(partition))
            self._position_of[(topic, partition)] = gauge
        gauge.set(position)
