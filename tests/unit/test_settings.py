"""Settings refuse the unsafe development defaults outside development."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from pydantic import ValidationError

from crosslink.guards import DemoDirectoryRefused, install_guards
from crosslink.kafka_access import KafkaAccess, TlsIdentity
from crosslink.provisioning import Replication
from crosslink.settings import DEMO_DISTRICTS_FILE, CommonSettings, from_environment
from harness.localbroker import LocalBroker, LocalCluster, local_kafka
from services.intake.config import IntakeSettings
from services.matcher.app import create_app
from services.matcher.config import MatcherSettings


def test_development_defaults_work_without_any_configuration() -> None:
    settings = IntakeSettings()

    assert settings.intake_port == 8000


def test_production_refuses_the_demo_districts_file(kafka_tls: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="CROSSLINK_DISTRICTS_FILE"):
        IntakeSettings(env="production", pseudonym_key="x" * 40, **kafka_tls)


def test_production_refuses_the_development_pseudonym_key(
    tmp_path: Path, kafka_tls: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError, match="CROSSLINK_PSEUDONYM_KEY"):
        IntakeSettings(env="production", districts_file=tmp_path / "districts.yaml", **kafka_tls)


def test_production_refuses_to_reach_kafka_without_mutual_tls(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="production reaches Kafka over mutual TLS"):
        CommonSettings(env="production", districts_file=tmp_path / "districts.yaml")


def test_kafka_tls_is_all_three_files_or_none(kafka_tls: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="CROSSLINK_KAFKA_KEY_FILE not set"):
        CommonSettings(kafka_ca_file=kafka_tls["kafka_ca_file"],
                       kafka_cert_file=kafka_tls["kafka_cert_file"])  # fmt: skip
    with pytest.raises(ValidationError, match="no readable file at CROSSLINK_KAFKA_CA_FILE"):
        CommonSettings(**kafka_tls | {"kafka_ca_file": kafka_tls["kafka_ca_file"].parent / "x"})


def test_with_tls_files_a_service_reaches_kafka_as_its_certificate(
    kafka_tls: dict[str, Any],
) -> None:
    access = CommonSettings(kafka_bootstrap="b-1:9093,b-2:9093", **kafka_tls).kafka

    assert access == KafkaAccess(
        "b-1:9093,b-2:9093",
        TlsIdentity(kafka_tls["kafka_ca_file"], kafka_tls["kafka_cert_file"],
                    kafka_tls["kafka_key_file"]),
    )  # fmt: skip
    assert access.servers == ["b-1:9093", "b-2:9093"]
    assert access.environment()["CROSSLINK_KAFKA_CERT_FILE"] == str(kafka_tls["kafka_cert_file"])
    assert CommonSettings().kafka.security_protocol == "PLAINTEXT"


def test_settings_come_from_crosslink_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CROSSLINK_KAFKA_BOOTSTRAP", "broker-1:9092")

    assert IntakeSettings().kafka == KafkaAccess("broker-1:9092")


def test_production_refuses_a_demo_directory_under_any_path(
    tmp_path: Path, kafka_tls: dict[str, Any]
) -> None:
    copy = tmp_path / "districts.yaml"
    copy.write_text(DEMO_DISTRICTS_FILE.read_text())
    settings = CommonSettings(env="production", districts_file=copy, **kafka_tls)

    with pytest.raises(DemoDirectoryRefused, match="demo directory"):
        install_guards(FastAPI(), settings)


def test_the_pseudonym_key_can_come_from_a_file(tmp_path: Path, kafka_tls: dict[str, Any]) -> None:
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text("a-real-secret-of-more-than-32-characters\n")

    settings = IntakeSettings(env="production", pseudonym_key_file=key_file,
                              districts_file=tmp_path / "districts.yaml", **kafka_tls)  # fmt: skip

    assert settings.pseudonym().secret == b"a-real-secret-of-more-than-32-characters"


def test_an_unreadable_key_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="PSEUDONYM_KEY_FILE"):
        IntakeSettings(pseudonym_key_file=tmp_path / "missing.key")


def test_a_refused_start_names_the_setting_and_the_rule_never_the_value(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kafka_tls: dict[str, Any]
) -> None:
    secret = "short-but-secret-key"
    for setting, path in kafka_tls.items():
        monkeypatch.setenv(f"CROSSLINK_{setting.upper()}", str(path))
    monkeypatch.setenv("CROSSLINK_ENV", "production")
    monkeypatch.setenv("CROSSLINK_DISTRICTS_FILE", str(tmp_path / "districts.yaml"))
    monkeypatch.setenv("CROSSLINK_PSEUDONYM_KEY", secret)

    with pytest.raises(SystemExit) as refused:
        from_environment(IntakeSettings)

    message = str(refused.value.code)
    assert "CROSSLINK_PSEUDONYM_KEY must be set to a secret of 32+ characters" in message
    assert secret not in message


def test_a_refused_field_is_named_by_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CROSSLINK_RATE_LIMIT_BURST", "0")

    with pytest.raises(SystemExit, match="- CROSSLINK_RATE_LIMIT_BURST: Input should be greater"):
        from_environment(IntakeSettings)


def test_topics_are_kept_on_three_brokers_in_production_and_one_in_development(
    tmp_path: Path, kafka_tls: dict[str, Any]
) -> None:
    production = CommonSettings(
        env="production", districts_file=tmp_path / "districts.yaml", **kafka_tls
    )

    assert production.replication == Replication(factor=3, min_insync=2)
    assert CommonSettings().replication == Replication(factor=1, min_insync=1)
    assert CommonSettings(topic_replication_factor=5).replication == Replication(5, 2)
    assert CommonSettings(topic_replication_factor=3, topic_min_insync_replicas=3).replication == (
        Replication(3, 3)
    )


def test_a_write_that_could_never_count_is_refused() -> None:
    with pytest.raises(ValidationError, match="no write could ever count"):
        CommonSettings(topic_replication_factor=1, topic_min_insync_replicas=2)


def test_make_up_s_cluster_takes_its_ports_in_pairs_from_9092(tmp_path: Path) -> None:
    single, cluster = local_kafka(tmp_path, 1), local_kafka(tmp_path, 3)

    assert isinstance(single, LocalBroker)
    assert (single.port, single.controller_port) == (9092, 9093)
    assert isinstance(cluster, LocalCluster)
    assert cluster.bootstrap == "127.0.0.1:9092,127.0.0.1:9094,127.0.0.1:9096"
    assert {node.voters for node in cluster.members} == {
        "1@127.0.0.1:9093,2@127.0.0.1:9095,3@127.0.0.1:9097"
    }
    assert len({node.cluster_id for node in cluster.members}) == 1


def test_the_matcher_keeps_standby_table_copies_as_set() -> None:
    assert create_app(MatcherSettings()).conf.table_standby_replicas == 1
    assert create_app(MatcherSettings(matcher_standby_replicas=2)).conf.table_standby_replicas == 2


def test_each_rotation_in_the_file_adds_a_layer_and_its_key_id(tmp_path: Path) -> None:
    rotations = tmp_path / "rotations"
    rotations.write_text("# key id, key\n2027-01 first-rotation-key\n\n2028-01 second-key\n")

    settings = IntakeSettings(pseudonym_rotations_file=rotations)

    assert settings.pseudonym().rotations == (b"first-rotation-key", b"second-key")
    assert settings.pseudonym().key_id == "2028-01"
    assert settings.key_ids() == ["dev", "2027-01", "2028-01"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2027-01\n", "line 1: want '<key id> <key>'"),
        ("2027-01 a\n2027-01 b\n", "key ids must differ"),
        ("dev a\n", "key ids must differ"),
    ],
)
def test_a_rotations_file_that_cannot_be_used_is_refused_naming_the_line(
    tmp_path: Path, text: str, says: str
) -> None:
    rotations = tmp_path / "rotations"
    rotations.write_text(text)

    with pytest.raises(ValidationError, match=says):
        IntakeSettings(pseudonym_rotations_file=rotations)


def test_production_refuses_a_short_rotation_key(tmp_path: Path, kafka_tls: dict[str, Any]) -> None:
    rotations = tmp_path / "rotations"
    rotations.write_text("2027-01 short\n")

    with pytest.raises(ValidationError, match="32\\+ characters"):
        IntakeSettings(env="production", pseudonym_key="x" * 40,
                       pseudonym_rotations_file=rotations,
                       districts_file=tmp_path / "districts.yaml", **kafka_tls)  # fmt: skip


def test_a_recycling_window_for_a_weak_identifier_is_refused_naming_its_own_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CROSSLINK_RECYCLING_WINDOW_DAYS", '{"phone": 365, "ip": 2}')

    with pytest.raises(SystemExit, match=r"CROSSLINK_RECYCLING_WINDOW_DAYS: .*CROSSLINK_WEAK_WIN"):
        from_environment(MatcherSettings)
