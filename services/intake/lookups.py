"""Where a typed identifier is looked up: its canon and token here, its footprint from the
matcher, each district's name and duty phone from the directory (schemas/lookups.py).

Intake answers only the notifier's relay key: the notifier authenticates the officer or the
district's integrator, holds them to their look-up limit and writes the audit entry.
"""

from __future__ import annotations

import asyncio
import logging

import httpx

from crosslink.directory import DistrictsDirectory
from crosslink.i18n import N_
from crosslink.lookups import InvalidLookup
from crosslink.problems import ProblemError
from schemas.api import FieldProblem
from schemas.identifiers import CanonicalIdentifier, InvalidIdentifier
from schemas.lookups import (
    MATCHER_LOOKUP_PATH,
    DistrictCount,
    DistrictToCall,
    IdentifierFound,
    LookupAnswer,
    LookupRequest,
    TokenFootprint,
)
from schemas.pseudonyms import PseudonymKey
from services.intake.complaints import canonical_identifiers_of, identifier_ref

log = logging.getLogger(__name__)


class MatcherUnavailable(ProblemError):
    status, slug, title = 503, "matcher-unavailable", N_("Look-up not answered; retry shortly")

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})


async def look_up(
    request: LookupRequest,
    *,
    key: PseudonymKey,
    matcher: httpx.AsyncClient,
    directory: DistrictsDirectory,
    retry_after_s: int,
) -> LookupAnswer:
    """What crosslink knows of each canonical identifier of the typed value; or raise saying
    what is wrong with it (422) or that the matcher did not answer (503)."""
    found = canonical_of(request)
    footprints = await asyncio.gather(
        *(_footprint(matcher, identifier_ref(c, key).token, retry_after_s) for c in found)
    )
    return LookupAnswer(
        identifiers=tuple(
            _found(c, footprint, directory) for c, footprint in zip(found, footprints, strict=True)
        )
    )


def canonical_of(request: LookupRequest) -> tuple[CanonicalIdentifier, ...]:
    """The canon applied to the typed value; InvalidLookup (422) naming it if refused."""
    submitted = request.identifier
    try:
        return canonical_identifiers_of(submitted)
    except InvalidIdentifier as error:
        problem = FieldProblem(
            field="identifier.value",
            code=error.code,
            reason=f"{submitted.type.value}: {error.message}",
        )
        raise InvalidLookup("the value is not a valid identifier of its type", [problem]) from None


async def _footprint(matcher: httpx.AsyncClient, token: str, retry_after_s: int) -> TokenFootprint:
    path = MATCHER_LOOKUP_PATH.format(token=token)
    try:
        response = await matcher.get(path)
        response.raise_for_status()
        return TokenFootprint.model_validate_json(response.content)
    except (httpx.HTTPError, ValueError) as error:
        # The token is the one safe name for the identifier in a log.
        log.warning("matcher did not answer a look-up", extra={"token": token, "error": str(error)})
        raise MatcherUnavailable(
            "the matcher did not answer (it may be starting or recovering its tables)",
            retry_after_s=retry_after_s,
        ) from None


def _found(
    identifier: CanonicalIdentifier, footprint: TokenFootprint, directory: DistrictsDirectory
) -> IdentifierFound:
    return IdentifierFound(
        type=identifier.type,
        masked=identifier.masked,
        known=footprint.complaints > 0 or footprint.registry_entries > 0,
        complaints=footprint.complaints,
        districts=tuple(_to_call(count, directory) for count in footprint.districts),
        registry_entries=footprint.registry_entries,
        generic=footprint.generic or identifier.generic,
    )


def _to_call(count: DistrictCount, directory: DistrictsDirectory) -> DistrictToCall:
    """The district's count and whom to call there; a district since gone from the directory
    is named by its code, with no phone."""
    district = directory.get(count.district)
    if district is None:
        return DistrictToCall(**count.model_dump(), name=count.district, state="")
    return DistrictToCall(
        **count.model_dump(), name=district.name, state=district.state, duty_phones=district.phone
    )
