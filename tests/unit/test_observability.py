"""The metrics catalogue is true to the code, and the dashboard and alert rules only use
metrics that exist and are documented."""

from __future__ import annotations

import json
import re

import yaml
from prometheus_client import CollectorRegistry

from crosslink.settings import REPO_ROOT
from services.intake.metrics import IntakeMetrics
from services.matcher.metrics import MatcherMetrics
from services.notifier.metrics import NotifierMetrics

CATALOGUE = REPO_ROOT / "docs" / "metrics.md"
DASHBOARD = REPO_ROOT / "deploy" / "grafana" / "dashboards" / "crosslink.json"
RULES = REPO_ROOT / "deploy" / "prometheus" / "alerts.yml"
METRIC = re.compile(r"crosslink_[a-z0-9_]+")


def registered() -> set[str]:
    registry = CollectorRegistry()
    IntakeMetrics(registry)
    MatcherMetrics(registry)
    NotifierMetrics(registry)
    return {
        family.name + ("_total" if family.type == "counter" else "")
        for family in registry.collect()
    }


def documented() -> set[str]:
    return set(re.findall(r"^\| `(crosslink_[a-z0-9_]+)`", CATALOGUE.read_text(), re.MULTILINE))


def referenced(expressions: list[str]) -> set[str]:
    names = {name for expr in expressions for name in METRIC.findall(expr)}
    return {re.sub(r"_(bucket|count|sum)$", "", name) for name in names}


def test_every_metric_the_services_register_is_documented_and_nothing_else() -> None:
    assert documented() == registered()


def test_the_dashboard_uses_only_documented_metrics() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]

    used = referenced(expressions)

    assert used
    assert used <= documented(), used - documented()


def test_the_dashboard_shows_what_operators_asked_for() -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    expressions = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])

    for needed in (
        "crosslink_intake_complaints_total",
        "crosslink_matcher_events_total",
        "crosslink_matcher_consumer_lag",
        "crosslink_matcher_alerts_raised_total",
        "crosslink_notifier_deliveries_total",
        "crosslink_notifier_end_to_end_latency_seconds_bucket",
        'status="dead"',
        "crosslink_notifier_oldest_unacknowledged_alert_age_seconds",
    ):
        assert needed in expressions  # fmt: skip


def test_the_alert_rules_use_only_documented_metrics() -> None:
    rules = yaml.safe_load(RULES.read_text())["groups"][0]["rules"]

    used = referenced([rule["expr"] for rule in rules])

    assert used <= documented(), used - documented()
