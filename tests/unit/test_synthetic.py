"""The synthetic complaint stream: reproducible, accepted by intake, and linked as configured."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime

from crosslink.synthetic import complaint_stream
from schemas.api import ComplaintSubmission
from services.intake.complaints import sightings_for
from services.intake.config import IntakeSettings

DISTRICTS = ["MH-MUM", "MP-BPL", "WB-KOL", "RJ-JAI"]


def first(n: int, **options: float) -> list[dict[str, object]]:
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
