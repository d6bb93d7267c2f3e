"""The published contracts (docs/api/) are current, valid, and cover every event topic."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema
import pytest
import yaml

from crosslink.settings import REPO_ROOT
from harness.contracts import CHANNELS, CONTRACTS_DIR, asyncapi_document, rendered
from schemas.topics import ALL_TOPICS

ASYNCAPI_SCHEMA = REPO_ROOT / "tests" / "fixtures" / "asyncapi-3.0.0.json"


def asyncapi_errors(document: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(ASYNCAPI_SCHEMA.read_text()))
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


@pytest.mark.parametrize("name", sorted(rendered()))
def test_the_committed_contract_is_current(name: str) -> None:
    committed = CONTRACTS_DIR / name

    assert committed.exists(), f"run `crosslink contracts` to write docs/api/{name}"
    assert committed.read_text() == rendered()[name], (
        f"docs/api/{name} is stale: run `crosslink contracts` and commit it"
    )


def test_the_asyncapi_document_follows_the_asyncapi_3_schema() -> None:
    assert asyncapi_errors(yaml.safe_load((CONTRACTS_DIR / "asyncapi.yaml").read_text())) == []


def test_the_schema_check_itself_refuses_a_broken_document() -> None:
    broken = copy.deepcopy(asyncapi_document())
    broken["channels"]["alertRaised"]["messages"] = "not a map"

    assert asyncapi_errors(broken)


def test_every_event_topic_has_a_channel_and_every_changelog_is_left_to_faust() -> None:
    documented = {channel.topic.name for channel in CHANNELS}
    changelogs = {topic.name for topic in ALL_TOPICS if topic.name.endswith("-changelog")}

    assert documented == {topic.name for topic in ALL_TOPICS} - changelogs


def test_every_schema_reference_resolves() -> None:
    document = asyncapi_document()

    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))

    assert referenced
    assert referenced <= set(document["components"]["schemas"])
