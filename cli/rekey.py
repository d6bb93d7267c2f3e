"""`crosslink rekey`: after a key rotation, what every token of the history becomes under the
new key, published for `crosslink rematch` (docs/security.md, Rotating it).

Run with intake's settings once every intake instance makes tokens under the new key (the last
line of CROSSLINK_PSEUDONYM_ROTATIONS_FILE). No raw value is needed, and none is read
(services/intake/rotation.py). Run again, it maps only what it had not (a token an instance
still wrote under an older key).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from crosslink.kafka_access import KafkaAccess
from schemas.pseudonyms import PseudonymKey
from schemas.topics import HISTORY
from services.intake.rotation import rekeyed_tokens
from services.matcher.history import end_offsets, publish_rekeyed, read_records, read_rekeyed
from services.matcher.rekeying import identifiers_of


class NoRotation(ValueError):
    """The key has not been rotated: there is nothing to map."""


@dataclass(frozen=True)
class RekeyReport:
    key_id: str
    rekeyed: int  # tokens mapped by this run
    unknown: Counter[str]  # tokens under a key id intake does not know, by key id


def rekey(access: KafkaAccess, key: PseudonymKey, key_ids: list[str]) -> RekeyReport:
    """Map every token of the history not under the last key to its token under it."""
    if not key.rotations:
        raise NoRotation(
            "CROSSLINK_PSEUDONYM_ROTATIONS_FILE names no rotation: add a line '<key id> <key>' "
            "for the new key, restart intake with it, then run this"
        )
    records = read_records(access, end_offsets(access, HISTORY))
    named = (identifier for record in records for identifier in identifiers_of(record))
    todo, unknown = rekeyed_tokens(named, read_rekeyed(access), key, key_ids)
    publish_rekeyed(access, todo)
    return RekeyReport(key_ids[-1], rekeyed=len(todo), unknown=unknown)
