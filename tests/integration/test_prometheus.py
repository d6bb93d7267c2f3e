"""The alert rules are valid and behave as their unit tests say (promtool), and a real
Prometheus scrapes a running service, loads the rules and answers queries on crosslink's
metrics."""

from __future__ import annotations

import subprocess
import time

import httpx
import pytest

from crosslink.settings import REPO_ROOT
from harness.processes import ServiceProcess
from tests.builders import complaint_body, unique_mobile
from tests.conftest import api_key
from tests.prometheus import RULES, LocalPrometheus

pytestmark = pytest.mark.integration
PROMETHEUS_DIR = REPO_ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], capture_output=True, text=True, check=False)


def test_the_alert_rules_and_the_compose_config_are_valid() -> None:
    rules = promtool("check", "rules", str(RULES))
    config = promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))

    assert rules.returncode == 0, rules.stdout + rules.stderr
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_rule_passes_its_unit_tests() -> None:
    result = promtool("test", "rules", str(PROMETHEUS_DIR / "alerts.test.yml"))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout + result.stderr


def test_a_real_prometheus_scrapes_intake_and_loads_the_rules(intake: ServiceProcess) -> None:
    response = httpx.post(
        f"{intake.base_url}/v1/complaints",
        json=complaint_body("MH-MUM", ("phone", unique_mobile())),
        headers={"Authorization": f"Bearer {api_key('MH-MUM')}"},
        timeout=30,
    )
    assert response.status_code == 202
    target = intake.base_url.removeprefix("http://")

    with LocalPrometheus({"crosslink-intake": (target, "/metrics/")}) as prometheus:
        query = 'crosslink_intake_complaints_total{job="crosslink-intake", status="202"}'
        deadline = time.monotonic() + 60
        while not (accepted := prometheus.query(query)):
            assert time.monotonic() < deadline, "Prometheus never scraped intake"
            time.sleep(0.2)
        rules = httpx.get(f"{prometheus.url}/api/v1/rules", timeout=5).json()

    assert float(accepted[0]["value"][1]) >= 1
    [group] = rules["data"]["groups"]
    assert group["name"] == "crosslink"
    assert "CrosslinkServiceDown" in {rule["name"] for rule in group["rules"]}
