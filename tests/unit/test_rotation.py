"""A key rotation's map of the history: which tokens `crosslink rekey` maps, and to what."""

from __future__ import annotations

from schemas.events import IdentifierRef, TokenRekeyed
from schemas.identifiers import IdentifierType, canonicalise
from schemas.pseudonyms import PseudonymKey, pseudonym_token
from services.intake.rotation import rekeyed_tokens

KEY_IDS = ["dev", "2027-01", "2028-01"]
ROOT = PseudonymKey("dev", b"root")
FIRST = PseudonymKey("2027-01", b"root", (b"r1",))
SECOND = PseudonymKey("2028-01", b"root", (b"r1", b"r2"))
PHONE = canonicalise(IdentifierType.PHONE, "9430100001")[0]


def named(key: PseudonymKey) -> IdentifierRef:
    token = pseudonym_token(PHONE, key)
    return IdentifierRef(type=IdentifierType.PHONE, token=token, key_id=key.key_id, masked="•")


def test_a_token_of_any_older_key_maps_straight_to_the_token_of_the_last() -> None:
    todo, unknown = rekeyed_tokens([named(ROOT), named(FIRST)], [], SECOND, KEY_IDS)

    assert {(r.key_id, r.rotated) for r in todo} == {
        ("dev", named(SECOND).token),
        ("2027-01", named(SECOND).token),
    }
    assert {r.rotated_key_id for r in todo} == {"2028-01"}
    assert not unknown


def test_run_again_it_maps_only_what_it_had_not() -> None:
    first, _ = rekeyed_tokens([named(ROOT)], [], SECOND, KEY_IDS)

    again, _ = rekeyed_tokens([named(ROOT), named(SECOND)], first, SECOND, KEY_IDS)

    assert again == []


def test_a_token_an_earlier_rotation_mapped_to_is_mapped_on() -> None:
    earlier = TokenRekeyed(token=named(ROOT).token, key_id="dev", rotated=named(FIRST).token,
                           rotated_key_id="2027-01")  # fmt: skip

    todo, _ = rekeyed_tokens([named(ROOT)], [earlier], SECOND, KEY_IDS)

    assert {(r.token, r.rotated) for r in todo} >= {(named(FIRST).token, named(SECOND).token)}


def test_tokens_under_a_key_intake_does_not_know_are_counted_not_mapped() -> None:
    stranger = named(ROOT).model_copy(update={"key_id": "lost-key"})

    todo, unknown = rekeyed_tokens([stranger], [], SECOND, KEY_IDS)

    assert todo == []
    assert unknown == {"lost-key": 1}
