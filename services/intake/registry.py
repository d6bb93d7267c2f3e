"""Where a suspect-registry entry is validated and turned into events. Pure: no I/O.

Registry identifiers go through the same canon and the same pseudonym key as complaints,
so a registry entry and a complaint naming the same identifier share a token.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from schemas.api import RegistryEntrySubmission
from schemas.events import RegistryEntryAdded, RegistryRef
from schemas.pseudonyms import PseudonymKey, stable_id
from services.intake.complaints import canonical_identifiers_of, convert_each, identifier_ref
from services.intake.errors import InvalidRegistryEntries


def registry_events_for(
    entry: RegistryEntrySubmission, *, key: PseudonymKey, added_at: datetime
) -> list[RegistryEntryAdded]:
    """The events of one registry entry (two when a UPI ID names a mobile number)."""
    registry = RegistryRef(source=entry.source, reference=entry.reference)
    events = []
    for identifier in canonical_identifiers_of(entry):
        ref = identifier_ref(identifier, key)
        events.append(
            RegistryEntryAdded(
                entry_id=stable_id("registry", ref.token, registry.source, registry.reference),
                identifier=ref,
                registry=registry,
                added_at=added_at,
            )
        )
    return events


def registry_events_for_all(
    entries: Sequence[RegistryEntrySubmission], *, key: PseudonymKey, added_at: datetime
) -> list[RegistryEntryAdded]:
    """Events of every entry, or InvalidRegistryEntries naming each bad one (none published)."""
    events, problems = convert_each(
        entries, "entries", lambda entry: registry_events_for(entry, key=key, added_at=added_at)
    )
    if problems:
        raise InvalidRegistryEntries(f"{len(problems)} registry entries are invalid", problems)
    return events
