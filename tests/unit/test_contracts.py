"""The published contracts (docs/api/) are current, valid, and cover every topic."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from crosslink.settings import REPO_ROOT
from harness.contracts import CHANNELS, CONTRACTS_DIR, asyncapi_document, rendered
from schemas.api import (
    ComplaintSubmission,
    GenericValueSubmission,
    InboxStatusChange,
    RegistrySubmission,
)
from schemas.topics import ALL_TOPICS, CLUSTERS_CHANGELOG, LEADER, STATE_CHANGELOG

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


def test_every_topic_has_a_channel_and_fausts_own_are_tagged_internal() -> None:
    documented = {channel.topic.name for channel in CHANNELS}
    internal = {c.topic.name for c in CHANNELS if c.internal}

    assert documented == {topic.name for topic in ALL_TOPICS} | {LEADER.name}
    assert internal == {STATE_CHANGELOG.name, CLUSTERS_CHANGELOG.name, LEADER.name}
    tagged = {
        channel["address"]
        for channel in asyncapi_document()["channels"].values()
        if {"name": "internal"} in channel.get("tags", [])
    }
    assert tagged == internal


def test_every_schema_reference_resolves() -> None:
    document = asyncapi_document()

    referenced = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))

    assert referenced
    assert referenced <= set(document["components"]["schemas"])


def _accepted_by_schema(document: str, name: str, body: object) -> bool:
    """Whether the component schema `name` of docs/api/`document` admits `body`."""
    openapi = json.loads((CONTRACTS_DIR / document).read_text())
    schema = {"$ref": f"#/components/schemas/{name}", "components": openapi["components"]}
    return bool(jsonschema.Draft202012Validator(schema).is_valid(body))


def _accepted_by_model(model: type[BaseModel], body: object) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


COMPLAINT = {
    "complaint_id": "C-1",
    "district": "MH-MUM",
    "police_station": "Cyber PS",
    "registered_at": "2026-11-20T10:15:00+05:30",
    "identifiers": [{"type": "phone", "value": "+91 98765 43210"}],
}
ENTRY = {"type": "upi", "value": "gang@ybl", "source": "NCRP", "reference": "R-1"}
BLANKS = [" ", "\t\n", "\x1c", "\x85", "\u3000"]
STATUS_CHANGES: list[dict[str, Any]] = [
    {"status": "acknowledged"},
    {"status": "acknowledged", "note": None},
    {"status": "closed", "note": "arrested the account holder"},
    {"status": "closed", "note": None},
    {"status": "actioned"},
    *({"status": "closed", "note": blank} for blank in BLANKS),
    {"status": "closed", "note": "done", "by": "SI Patil"},
]
# Each request body, at the edges where a JSON Schema and a pydantic model can part ways.
BODIES: list[tuple[str, type[BaseModel], dict[str, Any]]] = [
    *[("notifier.openapi.json", InboxStatusChange, change) for change in STATUS_CHANGES],
    ("intake.openapi.json", ComplaintSubmission, COMPLAINT),
    *[
        ("intake.openapi.json", ComplaintSubmission, {**COMPLAINT, "police_station": blank})
        for blank in BLANKS
    ],
    (
        "intake.openapi.json",
        ComplaintSubmission,
        {**COMPLAINT, "identifiers": [{"type": "phone", "value": " "}]},
    ),
    ("intake.openapi.json", ComplaintSubmission, {**COMPLAINT, "victim_name": "never"}),
    *[
        ("intake.openapi.json", ComplaintSubmission, {**COMPLAINT, "identifiers": [identifier]})
        for identifier in [
            {"type": "ip", "value": "100.64.1.2", "port": 40123},
            {"type": "ip", "value": "100.64.1.2", "observed_at": "2026-11-20T14:02:11+05:30"},
            {"type": "phone", "value": "+91 98765 43210", "port": 5060},
            {"type": "phone", "value": "+91 98765 43210", "observed_at": "2026-11-20T14:02Z"},
            {"type": "phone", "value": "+91 98765 43210", "port": None},
            {"type": "ip", "value": "100.64.1.2", "port": 0},
            {"type": "ip", "value": "100.64.1.2", "port": 65536},
        ]
    ],
    ("intake.openapi.json", RegistrySubmission, {"entries": [ENTRY]}),
    ("intake.openapi.json", RegistrySubmission, {"entries": [{**ENTRY, "source": " "}]}),
    ("intake.openapi.json", RegistrySubmission, {"entries": [{**ENTRY, "reference": "\x85"}]}),
    ("intake.openapi.json", RegistrySubmission, {"entries": []}),
    ("intake.openapi.json", GenericValueSubmission, {**ENTRY, "reason": "a bank's 1600 line"}),
    (
        "intake.openapi.json",
        GenericValueSubmission,
        {"type": "upi", "value": "a@ybl", "reason": " "},
    ),
    ("intake.openapi.json", GenericValueSubmission, {"type": "upi", "value": "a@ybl"}),
]


@pytest.mark.parametrize(("document", "model", "body"), BODIES)
def test_the_published_schema_admits_a_body_exactly_when_the_model_does(
    document: str, model: type[BaseModel], body: dict[str, Any]
) -> None:
    assert _accepted_by_schema(document, model.__name__, body) == _accepted_by_model(model, body)
