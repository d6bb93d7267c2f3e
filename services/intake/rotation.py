"""A key rotation's map of the history: which tokens `crosslink rekey` maps, and to what. Pure.

A token made under the key `key_ids[i]` carries the root key and the first `i` rotations; the
rotations after those take it to the last key, one HMAC each, from the token alone.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from schemas.events import IdentifierRef, TokenRekeyed
from schemas.pseudonyms import PseudonymKey, rotated_token


def rekeyed_tokens(
    named: Iterable[IdentifierRef],
    before: Iterable[TokenRekeyed],
    key: PseudonymKey,
    key_ids: Sequence[str],
) -> tuple[list[TokenRekeyed], Counter[str]]:
    """Every token `named` in the history, or mapped to by an earlier rotation, that is not
    under the last key nor mapped to it yet, mapped straight to it; and how many tokens are
    under a key id this intake does not know (they cannot be mapped), by key id."""
    current, layers = key_ids[-1], {key_id: i for i, key_id in enumerate(key_ids)}
    before = list(before)
    done = {r.token for r in before if r.rotated_key_id == current}
    tokens = {(i.token, i.key_id) for i in named} | {(r.rotated, r.rotated_key_id) for r in before}
    todo, unknown = [], Counter[str]()
    for token, key_id in sorted(tokens):
        if key_id == current or token in done:
            continue
        if key_id not in layers:
            unknown[key_id] += 1
            continue
        rotated = token
        for rotation in key.rotations[layers[key_id] :]:
            rotated = rotated_token(rotated, rotation)
        todo.append(
            TokenRekeyed(token=token, key_id=key_id, rotated=rotated, rotated_key_id=current)
        )
    return todo, unknown
