"""Deployment files agree with each other, with the Compose Specification and with the
documented settings."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from crosslink.provisioning import ADMIN, SERVICE_PRINCIPALS
from crosslink.settings import REPO_ROOT, CommonSettings
from harness.localbroker import kafka_version
from services.intake.config import IntakeSettings
from services.matcher.config import MatcherSettings
from services.notifier.config import NotifierSettings

DEPLOY = REPO_ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
CONFIGURATION = REPO_ROOT / "docs" / "configuration.md"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return loaded


def documented_variables() -> set[str]:
    """Every variable in the configuration table; `A_B_HOST` / `_PORT` names A_B_PORT too."""
    names = set()
    for row in re.findall(r"^\| (`CROSSLINK_[^|]+)\|", CONFIGURATION.read_text(), re.MULTILINE):
        first, *others = re.findall(r"`([A-Z_]+)`", row)
        names.add(first)
        names |= {o if o.startswith("CROSSLINK_") else first.rsplit("_", 1)[0] + o for o in others}
    return names


def test_the_compose_brokers_run_the_same_kafka_version_as_the_local_broker() -> None:
    brokers = {name: s for name, s in compose()["services"].items() if name.startswith("kafka-")}

    assert sorted(brokers) == ["kafka-1", "kafka-2", "kafka-3"]
    for broker in brokers.values():
        assert broker["image"] == f"apache/kafka:{kafka_version()}"


def test_the_compose_cluster_keeps_every_topic_on_three_nodes_and_a_write_on_two() -> None:
    services = compose()["services"]
    nodes = [services[f"kafka-{n}"]["environment"] for n in (1, 2, 3)]

    assert [node["KAFKA_NODE_ID"] for node in nodes] == [1, 2, 3]
    assert {node["KAFKA_CONTROLLER_QUORUM_VOTERS"] for node in nodes} == {
        "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    }
    environment = services["intake"]["environment"]
    assert environment["CROSSLINK_TOPIC_REPLICATION_FACTOR"] == 3
    assert environment["CROSSLINK_TOPIC_MIN_INSYNC_REPLICAS"] == 2


def test_the_compose_brokers_require_mutual_tls_and_each_service_is_its_own_principal() -> None:
    services = compose()["services"]
    template = (DEPLOY / "kafka" / "server.properties.template").read_text()

    for node in (services[f"kafka-{n}"]["environment"] for n in (1, 2, 3)):
        assert set(node["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")) == {
            "INTERNAL:SSL", "EXTERNAL:SSL", "CONTROLLER:SSL"
        }  # fmt: skip
        assert node["KAFKA_SSL_CLIENT_AUTH"] == "required"
        assert node["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
        # The same principal rule as the local broker's ("$$" is compose's "$").
        rule = node["KAFKA_SSL_PRINCIPAL_MAPPING_RULES"].replace("$$", "$")
        assert f"ssl.principal.mapping.rules={rule}" in template.replace("$$", "$")
    for principal in SERVICE_PRINCIPALS:
        environment = services[principal]["environment"]
        assert environment["CROSSLINK_KAFKA_CERT_FILE"] == f"/pki/{principal}.pem"
        assert environment["CROSSLINK_KAFKA_KEY_FILE"] == f"/pki/{principal}.key"
    assert services["topics"]["environment"]["CROSSLINK_KAFKA_CERT_FILE"] == f"/pki/{ADMIN}.pem"


def test_the_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((REPO_ROOT / "tests" / "fixtures" / "compose_spec.json").read_text())
    # The schema names its draft with a non-canonical URL; it is written for 2019-09.
    validator = jsonschema.Draft201909Validator(schema)

    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(compose())]

    assert errors == []


def test_every_image_compose_builds_comes_from_the_one_dockerfile() -> None:
    built = {name: s["build"] for name, s in compose()["services"].items() if "build" in s}

    assert set(built) >= {"topics", "intake", "matcher", "notifier"}
    for build in built.values():
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).resolve() == (
            DEPLOY / "Dockerfile"
        )
    services = {name: b.get("args", {}).get("SERVICE") for name, b in built.items()}
    assert {services["intake"], services["matcher"], services["notifier"]} == {
        "intake", "matcher", "notifier"
    }  # fmt: skip


def test_the_image_runs_as_a_non_root_user() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()

    assert re.search(r"^USER crosslink$", dockerfile, re.MULTILINE)


def test_every_variable_compose_and_the_image_set_is_documented() -> None:
    variables = {
        name
        for service in compose()["services"].values()
        for name in service.get("environment", {})
        if name.startswith("CROSSLINK_")
    }
    variables |= set(re.findall(r"\b(CROSSLINK_[A-Z_]+)=", (DEPLOY / "Dockerfile").read_text()))

    assert variables
    assert variables <= documented_variables(), variables - documented_variables()


@pytest.mark.parametrize(
    "settings", [CommonSettings, IntakeSettings, MatcherSettings, NotifierSettings]
)
def test_every_setting_is_documented(settings: type[CommonSettings]) -> None:
    variables = {f"CROSSLINK_{field.upper()}" for field in settings.model_fields}

    assert variables <= documented_variables(), variables - documented_variables()


def test_the_runtime_lock_pins_the_same_versions_as_the_full_lock() -> None:
    def pins(path: Path) -> dict[str, str]:
        return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", path.read_text(), re.MULTILINE))

    runtime, full = (
        pins(REPO_ROOT / "requirements-runtime.lock"),
        pins(REPO_ROOT / "requirements.lock"),
    )

    assert runtime
    assert {name: full.get(name) for name in runtime} == runtime


def test_the_compose_brokers_share_a_cluster_id_kafka_accepts() -> None:
    services = compose()["services"]
    [cluster_id] = {services[f"kafka-{n}"]["environment"]["CLUSTER_ID"] for n in (1, 2, 3)}

    assert len(base64.urlsafe_b64decode(cluster_id + "==")) == 16
    assert len(cluster_id) == 22


def test_the_compose_services_that_read_the_matcher_are_pointed_at_it() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]

    for reader in ("intake", "notifier"):  # look-ups; gang pages
        assert services[reader]["environment"]["CROSSLINK_MATCHER_URL"] == "http://matcher:6066"
