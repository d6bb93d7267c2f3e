"""The identifier canon: every written form of a perpetrator identifier to one canonical value.

Pure (no network, no clock). The canonical value is what gets pseudonymised; it never leaves
intake. The masked form is what people, logs and alerts may see. `docs/identifiers.md` is the
specification, one section per type.
"""

from schemas.identifiers.canon import Qualifiers, canonicalise
from schemas.identifiers.model import (
    CanonicalIdentifier,
    IdentifierType,
    InvalidIdentifier,
    Strength,
)

__all__ = [
    "CanonicalIdentifier",
    "IdentifierType",
    "InvalidIdentifier",
    "Qualifiers",
    "Strength",
    "canonicalise",
]
