"""`crosslink rekey`: after a key rotation, what every token of the history becomes under the
new key, published for `crosslink rematch` (docs/security.md, Rotating it).

Run with intake's settings once every intake instance makes tokens under the new key (the last
line of CROSSLINK_PSEUDONYM_ROTATIONS_FILE). Each token of the key before is rotated by one
HMAC under the new key (`schemas.pseudonyms.rotated_token`): no raw value is needed, and none is
read. Run again, it maps only what it had not (a token written under the old key after it ran).
"""

from __future__ import annotations

from dataclasses import dataclass

from cli.rematch import HISTORY
from crosslink.kafka_access import KafkaAccess
from schemas.events import TokenRekeyed
from schemas.pseudonyms import PseudonymKey, rotated_token
from services.matcher.history import end_offsets, publish_rekeyed, read_records, read_rekeyed
from services.matcher.rekeying import identifiers_of


class NoRotation(ValueError):
    """The key has not been rotated: there is nothing to map."""


@dataclass(frozen=True)
class RekeyReport:
    previous_key_id: str
    key_id: str
    tokens: int  # of the previous key, in the history
    rekeyed: int  # mapped by this run (the others were before)


def rekey(access: KafkaAccess, key: PseudonymKey, key_ids: list[str]) -> RekeyReport:
    """Map every token of the key before the last rotation to its token under the last."""
    if not key.rotations:
        raise NoRotation(
            "CROSSLINK_PSEUDONYM_ROTATIONS_FILE names no rotation: add a line '<key id> <key>' "
            "for the new key, restart intake with it, then run this"
        )
    previous, current = key_ids[-2], key_ids[-1]
    records = read_records(access, end_offsets(access, HISTORY))
    before = read_rekeyed(access)
    tokens = {i.token for r in records for i in identifiers_of(r) if i.key_id == previous}
    tokens |= {r.rotated for r in before if r.rotated_key_id == previous}
    done = {r.token for r in before if r.rotated_key_id == current}
    rotation = key.rotations[-1]
    todo = [
        TokenRekeyed(
            token=token,
            key_id=previous,
            rotated=rotated_token(token, rotation),
            rotated_key_id=current,
        )
        for token in sorted(tokens - done)
    ]
    publish_rekeyed(access, todo)
    return RekeyReport(previous, current, tokens=len(tokens), rekeyed=len(todo))
