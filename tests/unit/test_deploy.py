"""Deployment files agree with each other."""

from pathlib import Path

import yaml

from crosslink.localbroker import REPO_ROOT, kafka_version


def test_the_compose_broker_runs_the_same_kafka_version_as_the_local_broker() -> None:
    compose = yaml.safe_load(Path(REPO_ROOT / "deploy" / "docker-compose.yml").read_text())

    assert compose["services"]["kafka"]["image"] == f"apache/kafka:{kafka_version()}"
