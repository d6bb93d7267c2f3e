"""An independent oracle: the alert ids the matcher must raise for a sequence of complaints.

Written from the rules in docs/matching.md, not from services/matcher, so that a test
comparing the two checks the matcher rather than itself. Complaints are given in the order
they were accepted; the identifier canon and tokens are the real ones.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from schemas.identifiers import IdentifierType, Strength, canonicalise
from schemas.pseudonyms import PseudonymKey, pseudonym_token, stable_id


def expected_alert_ids(
    complaints: list[dict[str, Any]], *, key: PseudonymKey, hub_threshold: int
) -> set[str]:
    """Shared-identifier and hub alert ids (strong, non-benign identifiers; no registry)."""
    complaints_by_token: dict[str, int] = defaultdict(int)
    expected: set[str] = set()
    for complaint in complaints:
        for token in _strong_tokens(complaint, key):
            complaints_by_token[token] += 1
            count = complaints_by_token[token]
            if count == hub_threshold + 1:
                expected.add(stable_id("hub_identifier", token))
            elif 2 <= count <= hub_threshold:
                district, complaint_id = complaint["district"], complaint["complaint_id"]
                expected.add(stable_id("shared_identifier", token, district, complaint_id))
    return expected


def _strong_tokens(complaint: dict[str, Any], key: PseudonymKey) -> list[str]:
    tokens: dict[str, None] = {}
    for submitted in complaint["identifiers"]:
        for identifier in canonicalise(IdentifierType(submitted["type"]), submitted["value"]):
            if identifier.strength is Strength.STRONG and not identifier.benign:
                tokens[pseudonym_token(identifier, key)] = None
    return list(tokens)
