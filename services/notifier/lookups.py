"""Look-ups (schemas/lookups.py) as the notifier serves them to officers and integrators: each
person or key held to a limit, the typed value relayed to intake (the only service that may
read it), and the answer written to the audit trail before anyone sees it.

The typed value lives here only for the request: it is never logged, stored or audited. The
trail names what was looked up by its type and masked form, as intake's answer gives them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ValidationError

from crosslink.i18n import N_
from crosslink.limits import RateLimited, RateLimiter
from crosslink.lookups import InvalidLookup
from crosslink.problems import ProblemError
from schemas.api import ArrestAccepted, ArrestRelayed, FieldProblem, MaskedIdentifier, Problem
from schemas.lookups import (
    ARRESTS_RELAYED_PATH,
    LOOKUPS_PATH,
    WATCHES_PATH,
    IdentifierFound,
    LookupAnswer,
    LookupRequest,
    WatchAnswer,
    WatchRelayed,
    WatchSubmission,
)

log = logging.getLogger(__name__)
LOOKED_UP = "identifier.looked_up"
WATCHED = "identifier.watched"
ARREST_RECORDED = "arrest.recorded"


class LookupsOff(ProblemError):
    status, slug, title = 503, "lookups-off", N_("Look-ups are not set up here")


class LookupUnavailable(ProblemError):
    status, slug, title = 503, "lookup-unavailable", N_("Look-up not answered; retry shortly")

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after_s)})


class LookupLimitReached(RateLimited):
    slug, title = "lookup-limit", N_("Too many look-ups")
    what = "you have looked up as many identifiers as allowed for now"


@dataclass(frozen=True)
class Lookups:
    """Relays officers' look-ups, watches and arrests to intake with the notifier's relay key
    (None: all three are off)."""

    intake: httpx.AsyncClient | None
    limiter: RateLimiter
    retry_after_s: int = 5

    async def look_up(self, who: str, lookup: LookupRequest) -> LookupAnswer:
        """Intake's answer for `lookup`, once `who` is within the limit; or raise the problem
        to answer: invalid (422), over the limit (429), off or unanswered (503)."""
        answer = await self._relayed(who, LOOKUPS_PATH, lookup, expected=200)
        return LookupAnswer.model_validate_json(answer)

    async def watch(self, who: str, district: str, watch: WatchSubmission) -> WatchAnswer:
        """Set, renew or remove `who`'s watch for `district`, held to the same limit as a
        look-up; the same problems."""
        relayed = WatchRelayed(**watch.model_dump(), district=district, watched_by=who)
        answer = await self._relayed(who, WATCHES_PATH, relayed, expected=202)
        return WatchAnswer.model_validate_json(answer)

    async def record_arrest(self, arrest: ArrestRelayed) -> ArrestAccepted:
        """Relay an arrest an officer recorded (not held to the look-up limit: an arrest tells
        districts, it reveals nothing to its recorder); the same problems but 429."""
        answer = await self._relayed(
            arrest.recorded_by, ARRESTS_RELAYED_PATH, arrest, expected=202, limited=False
        )
        return ArrestAccepted.model_validate_json(answer)

    async def _relayed(
        self, who: str, path: str, body: BaseModel, *, expected: int, limited: bool = True
    ) -> bytes:
        if self.intake is None:
            raise LookupsOff("CROSSLINK_LOOKUP_RELAY_KEY is not set on this notifier")
        if limited and (wait_s := self.limiter.spend(who)):
            # Someone looking up faster than a case needs: worth a supervisor's question.
            log.warning("look-up limit reached", extra={"who": who, "path": path})
            raise LookupLimitReached(wait_s)
        try:
            response = await self.intake.post(path, content=body.model_dump_json())
        except httpx.HTTPError as error:
            log.warning("intake did not answer a relayed request", extra={"error": str(error)})
            raise self._unavailable() from None
        if response.status_code == 422:
            raise InvalidLookup(*_refusal(response))
        if response.status_code != expected:
            log.warning("intake refused a relayed request", extra={"status": response.status_code})
            raise self._unavailable()
        return response.content

    def _unavailable(self) -> LookupUnavailable:
        return LookupUnavailable(
            "intake or the matcher did not answer; nothing was looked up",
            retry_after_s=self.retry_after_s,
        )


def _refusal(response: httpx.Response) -> tuple[str, list[FieldProblem]]:
    """Intake's detail and field problems, as the caller should see them."""
    try:
        problem = Problem.model_validate_json(response.content)
    except ValidationError:
        return "the identifier is invalid", []
    return problem.detail, list(problem.errors)


def named(identifiers: Iterable[MaskedIdentifier | IdentifierFound]) -> str:
    """What was looked up or watched, as the audit trail names it: type and masked form."""
    return "; ".join(f"{i.type.value} {i.masked}" for i in identifiers)


def shown_by(answer: LookupAnswer) -> dict[str, object]:
    """What the answer showed, for the audit entry: known or not, how many complaints and which
    districts' contacts."""
    return {
        "known": answer.known,
        "complaints": max(found.complaints for found in answer.identifiers),
        "districts": sorted({d.district for found in answer.identifiers for d in found.districts}),
    }


def relay_client(url: str, key: str | None, timeout_s: float) -> httpx.AsyncClient | None:
    """A client to intake carrying the relay key, or None when there is no key."""
    if key is None:
        return None
    return httpx.AsyncClient(
        base_url=url,
        timeout=timeout_s,
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
