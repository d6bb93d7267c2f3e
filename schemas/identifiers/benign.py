"""The benign list: shipped values that are accepted but never link complaints."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

import yaml

from schemas.identifiers.model import IdentifierType


@cache
def benign_entries() -> dict[IdentifierType, frozenset[str]]:
    """The shipped list, by type, as written in benign.yaml (canonicalised by canon.py)."""
    raw = yaml.safe_load(files("schemas.identifiers").joinpath("benign.yaml").read_text())
    return {
        IdentifierType(kind): frozenset(str(entry["value"]) for entry in entries)
        for kind, entries in raw.items()
    }


def is_short_code(digits: str) -> bool:
    """Emergency and helpline short codes (100, 112, 1930, 155260, ...) are 3 to 6 digits."""
    return re.fullmatch(r"1\d{2,5}", digits) is not None
