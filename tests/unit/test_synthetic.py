"""The synthetic complaint stream: reproducible, accepted by intake, and linked as configured."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from harness.synthetic import (
    HELPLINES,
    complaint_stream,
    gangs_of,
    registry_rows,
    write_registry_file,
)
from schemas.api import ComplaintSubmission
from schemas.identifiers import CanonicalIdentifier, IdentifierType, canonicalise
from schemas.pseudonyms import pseudonym_token
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings
from services.intake.registry_import import events_of_row, read_rows

DISTRICTS = ["MH-MUM", "MP-BPL", "WB-KOL", "RJ-JAI"]
KEY = IntakeSettings().pseudonym()


def first(n: int, **options: float) -> list[dict[str, Any]]:
    return list(itertools.islice(complaint_stream(DISTRICTS, seed=3, **options), n))  # type: ignore[arg-type]


def test_the_same_seed_gives_the_same_stream() -> None:
    assert first(50) == first(50)
    assert first(50) != list(itertools.islice(complaint_stream(DISTRICTS, seed=4), 50))


def test_every_complaint_is_accepted_by_intake() -> None:
    key = IntakeSettings().pseudonym()

    for body in first(300):
        complaint = ComplaintSubmission.model_validate(body)
        events = sightings_for(
            complaint, caller_district=complaint.district, key=key, received_at=datetime.now(UTC)
        )
        assert events


def test_gangs_reuse_identifiers_across_districts() -> None:
    key = IntakeSettings().pseudonym()
    districts_by_token: dict[str, set[str]] = {}
    for body in first(300, overlap=0.8):
        complaint = ComplaintSubmission.model_validate(body)
        for event in sightings_for(complaint, caller_district=complaint.district, key=key,
                                   received_at=datetime.now(UTC)):  # fmt: skip
            districts_by_token.setdefault(event.identifier.token, set()).add(complaint.district)

    shared = Counter(len(districts) for districts in districts_by_token.values())
    assert sum(count for size, count in shared.items() if size >= 2) >= 5


def test_complaints_come_from_at_least_forty_districts_in_ten_states() -> None:
    districts = {body["district"] for body in itertools.islice(complaint_stream(seed=1), 2000)}

    assert len(districts) >= 40
    assert len({district.split("-")[0] for district in districts}) >= 10


def test_each_written_form_of_a_gang_identifier_gives_the_gangs_token() -> None:
    gang_tokens = {
        token for gang in gangs_of(3) for row in gang.identifiers() for token in tokens(row)
    }
    complaint_tokens = {
        token
        for body in first(500, overlap=1.0, benign=0.0)
        for row in body["identifiers"]
        for token in tokens(row)
    }

    assert complaint_tokens <= gang_tokens
    written = {row["value"] for body in first(500, overlap=1.0) for row in body["identifiers"]}
    assert len(written) > len(gang_tokens)  # the same identifier, typed in several ways


def test_some_complaints_name_a_helpline_which_is_benign() -> None:
    helplines = [
        row for body in first(400, benign=0.1) for row in body["identifiers"]
        if row["value"] in HELPLINES
    ]  # fmt: skip

    assert 20 <= len(helplines) <= 70
    assert all(identifier.benign for row in helplines for identifier in canonical(row))


def test_the_registry_file_is_importable_and_names_identifiers_the_gangs_use(
    tmp_path: Path,
) -> None:
    rows = registry_rows(seed=3, unrelated=5)
    path = write_registry_file(tmp_path / "registry.csv", rows)

    events = [
        events_of_row(line, row, key=KEY, added_at=datetime.now(UTC))
        for line, row in read_rows(path)
    ]

    accepted = [found for found in events if isinstance(found, list)]
    assert len(accepted) == len(rows), events
    registered = {event.identifier.token for found in accepted for event in found}
    gang_tokens = {
        token for gang in gangs_of(3) for row in gang.identifiers() for token in tokens(row)
    }
    assert len(registered & gang_tokens) >= 5
    assert len(registered - gang_tokens) >= 5


def tokens(row: dict[str, str]) -> list[str]:
    return [pseudonym_token(identifier, KEY) for identifier in canonical(row)]


def canonical(row: dict[str, str]) -> tuple[CanonicalIdentifier, ...]:
    kind, value = IdentifierType(row["type"]), row["value"]
    return canonicalise(kind, value, platform=row.get("platform"), ifsc=row.get("ifsc"))


def test_heavy_tailed_gangs_name_one_identifier_in_over_a_thousand_complaints_everywhere() -> None:
    complaints = itertools.islice(complaint_stream(seed=9001, gangs=60, tail=1.2), 10_000)
    named: Counter[str] = Counter()
    districts: dict[str, set[str]] = {}
    for body in complaints:
        complaint = ComplaintSubmission.model_validate(body)
        for sighting in sightings_for(complaint, caller_district=complaint.district, key=KEY,
                                      received_at=datetime.now(UTC)):  # fmt: skip
            named[sighting.identifier.token] += 1
            districts.setdefault(sighting.identifier.token, set()).add(complaint.district)

    [(busiest, count)] = named.most_common(1)
    assert count > 1000
    assert len(districts[busiest]) == 44
    assert sorted(named.values())[len(named) // 2] < 5  # and a long tail of small ones
