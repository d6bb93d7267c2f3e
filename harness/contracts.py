"""crosslink's published contracts, generated from the code: the AsyncAPI 3 document of every
event topic (from the pydantic event models) and the OpenAPI documents of intake and the
notifier (from their FastAPI apps). `crosslink contracts` writes them to docs/api/; a test
regenerates them and fails if the committed ones are stale."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from crosslink.settings import REPO_ROOT
from schemas.events import (
    AlertRaised,
    ArrestRecorded,
    AuditEntryRecorded,
    ComplaintFiled,
    GenericValueDecided,
    IdentifierSighted,
    ImportClosed,
    ImportPassed,
    LinkWithdrawn,
    RegistryEntryAdded,
    TokenRekeyed,
    WatchChanged,
)
from schemas.topics import (
    ALERT_RAISED,
    AUDIT_RECORDED,
    CLUSTERS_CHANGELOG,
    COMPLAINTS_FILED,
    DEAD_LETTER,
    GENERIC_VALUE_DECIDED,
    IDENTIFIER_SIGHTED,
    LEADER,
    LINK_WITHDRAWN,
    REGISTRY_ENTRY_ADDED,
    STATE_CHANGELOG,
    TOKEN_REKEYED,
    TopicSpec,
)

CONTRACTS_DIR = REPO_ROOT / "docs" / "api"
SCHEMA_REF = "#/components/schemas/{model}"


@dataclass(frozen=True)
class Opaque:
    """A message whose payload crosslink promises no schema for."""

    name: str
    content_type: str
    description: str


@dataclass(frozen=True)
class Channel:
    id: str
    topic: TopicSpec
    models: tuple[type[BaseModel], ...] | Opaque
    key: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    description: str
    internal: bool = False  # faust's own: no service but the matcher reads or writes it


MATCHER_INTERNAL = (
    "Internal to the matcher, written and read by faust: no other service may use it, and its "
    "records are not a contract (their form changes with the matcher)."
)


CHANNELS = (
    Channel(
        "identifierSighted",
        IDENTIFIER_SIGHTED,
        (IdentifierSighted, WatchChanged, ImportClosed),
        "pseudonym token, watch:<token>, or import:<id>",
        ("intake",),
        ("matcher",),
        "One event per identifier a complaint names, in pseudonymous form; an officer's watch "
        "on an identifier (WatchChanged, keyed watch:<token>) in its token's partition, in one "
        "order with its complaints; and a back-fill's end (ImportClosed, keyed import:<id>) on "
        "every partition, behind its complaints.",
    ),
    Channel(
        "registryEntryAdded",
        REGISTRY_ENTRY_ADDED,
        (RegistryEntryAdded,),
        "pseudonym token",
        ("intake",),
        ("matcher",),
        "A known perpetrator identifier entered the suspect registry.",
    ),
    Channel(
        "genericValueDecided",
        GENERIC_VALUE_DECIDED,
        (GenericValueDecided,),
        "pseudonym token",
        ("intake",),
        ("matcher",),
        "An operator decided a value is generic (it links nothing), or withdrew that; "
        "kept for good as the record of who decided what.",
    ),
    Channel(
        "linkWithdrawn",
        LINK_WITHDRAWN,
        (LinkWithdrawn,),
        "pseudonym token",
        ("notifier",),
        ("matcher",),
        "An officer said a complaint of their district is not linked through an identifier "
        "(the victim's own, a wrong entry, a generic value); kept for good.",
    ),
    Channel(
        "complaintsFiled",
        COMPLAINTS_FILED,
        (ComplaintFiled, ArrestRecorded, GenericValueDecided, LinkWithdrawn, ImportClosed),
        "district/complaint id, arrest:<district>/<arrest id>, pseudonym token, or import:<id>",
        ("intake", "notifier"),
        ("matcher",),
        "Each complaint with all its identifiers, each arrest or seizure (and each later "
        "state of one), and each generic-value decision and withdrawn link again, in the one "
        "order they were accepted: the clustering agent joins complaints into gangs (and "
        "splits them), and tells the districts an arrest reaches, in that order. A "
        "back-fill's end follows its complaints here too.",
    ),
    Channel(
        "alertRaised",
        ALERT_RAISED,
        (AlertRaised, ImportPassed),
        "alert id, or import:<id>",
        ("matcher",),
        ("notifier",),
        "Something a district (or an operator) must know, with the rule and the reason; a "
        "back-filled complaint's alert carries its import id. On every partition, after the "
        "alerts a back-fill raised from one source partition: the pass of its end "
        "(ImportPassed, keyed import:<id>).",
    ),
    Channel(
        "tokenRekeyed",
        TOKEN_REKEYED,
        (TokenRekeyed,),
        "the token before the rotation",
        ("crosslink rekey",),
        ("crosslink rematch",),
        "A key rotation's map from each token of the history to its token under the new key; "
        "kept for good, read and written by the administrator only (no service principal has "
        "a permission on it).",
    ),
    Channel(
        "auditRecorded",
        AUDIT_RECORDED,
        (AuditEntryRecorded,),
        "chain/seq",
        ("notifier",),
        ("crosslink audit verify",),
        "A copy of each entry of the audit trail, in order, kept for good outside the "
        "notifier's database: someone who rewrites the trail there cannot rewrite these "
        "(only the notifier writes, only the administrator reads).",
    ),
    Channel(
        "deadLetter",
        DEAD_LETTER,
        Opaque("DeadLetterRecord", "application/octet-stream", "the original bytes, unchanged"),
        "the original record's key",
        ("matcher", "notifier"),
        (),
        "Records that could not be decoded, as they came, with headers crosslink-error "
        "(why), crosslink-source (which service) and crosslink-topic (where it was read; "
        "`crosslink dead-letters replay` sends it back there).",
    ),
    Channel(
        "stateByTokenChangelog",
        STATE_CHANGELOG,
        Opaque("StateByTokenRow", "application/json", "a row of the state_by_token table"),
        "pseudonym token, or token/district/complaint id",
        ("matcher",),
        ("matcher",),
        f"Compacted changelog of the state_by_token table (what the matcher knows per "
        f"identifier token; services/matcher/matching.py): a worker rebuilds its partitions of "
        f"the table from it. {MATCHER_INTERNAL}",
        internal=True,
    ),
    Channel(
        "clustersChangelog",
        CLUSTERS_CHANGELOG,
        Opaque("ClustersRow", "application/json", "a row of the clusters table"),
        "cluster id, identifier token, or district/complaint id",
        ("matcher",),
        ("matcher",),
        f"Compacted changelog of the clusters table (gangs, forwarding pointers, each "
        f"identifier's first complaint; services/matcher/clustering.py), the table every "
        f"worker rebuilds at start. {MATCHER_INTERNAL}",
        internal=True,
    ),
    Channel(
        "matcherLeader",
        LEADER,
        Opaque("LeaderRecord", "application/octet-stream", "none: the topic carries no records"),
        "none",
        (),
        ("matcher",),
        f"faust's leader election among matcher workers: each subscribes, and the one assigned "
        f"its single partition assigns the others' partitions. faust creates it. "
        f"{MATCHER_INTERNAL}",
        internal=True,
    ),
)


def asyncapi_document() -> dict[str, Any]:
    """The AsyncAPI 3.0 document of crosslink's event topics."""
    models = list(
        dict.fromkeys(
            model
            for channel in CHANNELS
            if not isinstance(channel.models, Opaque)
            for model in channel.models
        )
    )
    keyed, definitions = models_json_schema(
        [(model, "serialization") for model in models], ref_template=SCHEMA_REF
    )
    channels, operations, messages = {}, {}, {}
    for channel in CHANNELS:
        if isinstance(channel.models, Opaque):
            opaque = channel.models
            payloads = [(opaque.name, opaque.content_type, {"description": opaque.description})]
        else:
            payloads = [
                (model.__name__, "application/json", keyed[(model, "serialization")])
                for model in channel.models
            ]
        for name, content_type, payload in payloads:
            messages[name] = {
                "name": name,
                "title": name,
                "contentType": content_type,
                "payload": payload,
                "bindings": {"kafka": {"key": {"type": "string", "description": channel.key}}},
            }
        names = [name for name, _, _ in payloads]
        channels[channel.id] = {
            "address": channel.topic.name,
            "description": f"{channel.description} {channel.topic.partitions} partition(s).",
            "messages": {name: {"$ref": f"#/components/messages/{name}"} for name in names},
            "bindings": {"kafka": {"partitions": channel.topic.partitions}},
            **({"tags": [{"name": "internal"}]} if channel.internal else {}),
        }
        for action, services in (("send", channel.producers), ("receive", channel.consumers)):
            for service in services:
                operations[f"{service}{action.title()}s{channel.id[0].upper()}{channel.id[1:]}"] = {
                    "action": action,
                    "channel": {"$ref": f"#/channels/{channel.id}"},
                    "summary": f"{service} {action}s {channel.topic.name}",
                }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "crosslink events",
            "version": "1",
            "description": "The Kafka topics between crosslink's services, and the matcher's "
            "internal ones (tagged internal: faust's table changelogs and leader election). "
            "Every event carries schema_version; no topic carries a raw identifier (tokens "
            "and masked forms only).",
        },
        "defaultContentType": "application/json",
        "servers": {"local": {"host": "127.0.0.1:9092", "protocol": "kafka"}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": definitions.get("$defs", {})},
    }


def openapi_documents() -> dict[str, dict[str, Any]]:
    """File name -> the OpenAPI document of each HTTP service, as the running service serves it."""
    from services.intake.app import create_app as intake_app
    from services.intake.config import IntakeSettings
    from services.notifier.app import create_app as notifier_app
    from services.notifier.config import NotifierSettings

    return {
        "intake.openapi.json": intake_app(IntakeSettings()).openapi(),
        "notifier.openapi.json": notifier_app(NotifierSettings()).openapi(),
    }


def rendered() -> dict[str, str]:
    """File name -> content of every contract document."""
    documents = {"asyncapi.yaml": yaml.safe_dump(asyncapi_document(), sort_keys=False, width=100)}
    for name, document in openapi_documents().items():
        documents[name] = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    return documents


def write_contracts(directory: Path = CONTRACTS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, content in rendered().items():
        path = directory / name
        path.write_text(content)
        written.append(path)
    return written
