"""Key rotations as a rematch applies them: the history under the last key's tokens."""

from __future__ import annotations

from datetime import UTC, datetime

from schemas.events import (
    CaseRef,
    ComplaintFiled,
    GenericValueDecided,
    IdentifierRef,
    IdentifierSighted,
    TokenRekeyed,
)
from schemas.identifiers import IdentifierType
from schemas.topics import COMPLAINTS_FILED, IDENTIFIER_SIGHTED
from services.matcher.batches import HistoryRecord, Position
from services.matcher.matching import MatchingRules, TokenState
from services.matcher.rekeying import OLDER, TokenMap, identifiers_of, rekeyed
from services.matcher.rematch import Replay, Told, news
from tests.builders import alert_raised
from tests.unit.test_arrests import arrest

NOW = datetime(2026, 11, 23, tzinfo=UTC)
OLD, NEW, NEWER = "a" * 64, "b" * 64, "c" * 64
ROTATIONS = TokenMap(
    [
        TokenRekeyed(token=OLD, key_id="dev", rotated=NEW, rotated_key_id="2027-01"),
        TokenRekeyed(token=NEW, key_id="2027-01", rotated=NEWER, rotated_key_id="2028-01"),
    ]
)


def phone(token: str, key_id: str) -> IdentifierRef:
    return IdentifierRef(type=IdentifierType.PHONE, token=token, key_id=key_id, masked="+91 9•••")


def sighting(n: int, token: str, key_id: str, *, partition: int, offset: int) -> HistoryRecord:
    case = CaseRef(complaint_id=f"C-{n}", district="MH-MUM", police_station="PS", registered_at=NOW)
    event = IdentifierSighted(
        event_id=f"e-{n}", case=case, identifier=phone(token, key_id), received_at=NOW
    )
    position = Position(IDENTIFIER_SIGHTED.name, partition, offset, timestamp_ms=n)
    return HistoryRecord(position, token.encode(), event.model_dump_json().encode())


def test_a_token_follows_every_rotation_to_the_last_key() -> None:
    identifier, steps = ROTATIONS.current(phone(OLD, "dev"))

    assert (identifier.token, identifier.key_id, steps) == (NEWER, "2028-01", 2)
    assert ROTATIONS.token(NEWER) == NEWER


def test_a_rekeyed_sighting_moves_below_the_offsets_of_its_new_partition() -> None:
    record = rekeyed(sighting(1, OLD, "dev", partition=0, offset=900), ROTATIONS)

    assert record.key == NEWER.encode()
    assert record.message.offset == 900 - 2 * OLDER
    assert identifiers_of(record) == [phone(NEWER, "2028-01")]


def test_sightings_from_before_and_after_rotations_are_all_counted_in_one_row() -> None:
    history = [
        sighting(1, OLD, "dev", partition=0, offset=900),
        sighting(2, NEW, "2027-01", partition=1, offset=500),
        sighting(3, NEWER, "2028-01", partition=2, offset=7),
    ]
    replay = Replay(MatchingRules(), rotations=ROTATIONS)

    replay.identifiers(history)

    row = TokenState.model_validate_json(replay.tokens[NEWER])
    assert [case.complaint_id for case in row.cases] == ["C-1", "C-2", "C-3"]
    assert set(replay.tokens) == {NEWER, *(f"{NEWER}/MH-MUM/C-{n}" for n in (1, 2, 3))}


def test_a_filed_complaint_names_its_identifiers_under_the_last_key() -> None:
    case = CaseRef(complaint_id="C-1", district="MH-MUM", police_station="PS", registered_at=NOW)
    filed = ComplaintFiled(
        event_id="f", case=case, identifiers=(phone(OLD, "dev"),), received_at=NOW
    )
    record = HistoryRecord(
        Position(COMPLAINTS_FILED.name, 0, 3), b"k", filed.model_dump_json().encode()
    )

    assert identifiers_of(rekeyed(record, ROTATIONS)) == [phone(NEWER, "2028-01")]


def test_an_arrests_seized_identifiers_are_taken_under_the_last_key() -> None:
    seized = arrest(phone(OLD, "dev"))
    record = HistoryRecord(
        Position(COMPLAINTS_FILED.name, 0, 4),
        seized.key.encode(),
        seized.model_dump_json().encode(),
    )

    current = rekeyed(record, ROTATIONS)

    assert identifiers_of(current) == [phone(NEWER, "2028-01")]
    assert (current.key, current.message) == (record.key, record.message)


def test_an_alert_sent_under_an_old_key_is_known_under_the_new_one() -> None:
    sent = alert_raised("MH-MUM", "MP-BPL")
    identifier = sent.about.model_copy(update={"token": OLD})
    again = sent.model_copy(
        update={"alert_id": "new", "identifier": identifier.model_copy(update={"token": NEWER})}
    )

    assert (
        news([again], Told([sent.model_copy(update={"identifier": identifier})], ROTATIONS)) == []
    )


def test_a_generic_value_decided_under_an_old_key_holds_the_value_under_the_new_one() -> None:
    decision = GenericValueDecided(
        decision_id="d", identifier=phone(OLD, "dev"), generic=True, reason="a helpline",
        decided_by="ops", decided_at=NOW,
    )  # fmt: skip
    record = HistoryRecord(
        Position(COMPLAINTS_FILED.name, 0, 1), b"k", decision.model_dump_json().encode()
    )
    replay = Replay(MatchingRules(), rotations=ROTATIONS)

    replay.complaints([record])

    assert f"identifier:{NEWER}" in replay.clusters
    assert f"identifier:{OLD}" not in replay.clusters


def test_the_replay_counts_identifiers_left_under_a_key_no_map_reaches() -> None:
    replay = Replay(MatchingRules(), rotations=ROTATIONS)

    replay.identifiers([
        sighting(1, OLD, "dev", partition=0, offset=900),
        sighting(2, "d" * 64, "lost-key", partition=1, offset=3),
    ])  # fmt: skip

    assert replay.key_ids == {"2028-01": 1, "lost-key": 1}
