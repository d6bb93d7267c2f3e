"""The console's look-up page: an officer types a suspect identifier and sees what crosslink
knows of it (services/notifier/lookups.py), and a district's officer may watch it: be told of
each new complaint naming it. The same answers, limit and audit entries as the API's. The typed
value is put back in the form only for the page that answers it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from crosslink.i18n import Translator
from crosslink.lookups import InvalidLookup
from crosslink.problems import ProblemError
from schemas.identifiers import IdentifierType
from schemas.lookups import LookupAnswer, LookupRequest, WatchAnswer, WatchSubmission
from services.notifier.console.audited import record
from services.notifier.console.guard import (
    DistrictSessionDep,
    InvestigatorSessionDep,
    SignedIn,
    checked_form,
)
from services.notifier.console.languages import TranslatorDep
from services.notifier.console.pages import PREFIX, render
from services.notifier.lookups import LOOKED_UP, WATCHED, named, shown_by
from services.notifier.state import notifier_of

router = APIRouter(prefix=PREFIX, include_in_schema=False)
TYPES = tuple(kind.value for kind in IdentifierType)
FIELDS = ("type", "value", "platform", "ifsc")
Answered = TypeVar("Answered")


@router.get("/lookup")
async def lookup_page(signed_in: InvestigatorSessionDep, t: TranslatorDep) -> HTMLResponse:
    return _page(signed_in, t, {})


@router.post("/lookup")
async def look_up(
    request: Request, signed_in: InvestigatorSessionDep, t: TranslatorDep
) -> HTMLResponse:
    typed = await _typed(request, signed_in)
    lookups = notifier_of(request).lookups
    try:
        answer = await _asked(
            t, lambda: lookups.look_up(signed_in.officer.actor, LookupRequest(identifier=typed))
        )
    except _Refused as refused:
        return _refused(signed_in, t, typed, refused.why, status_code=refused.status)
    district = signed_in.district.code if signed_in.district else None
    target = named(answer.identifiers)
    await record(
        request, signed_in, LOOKED_UP, district=district, target=target, shown=shown_by(answer)
    )
    return _page(signed_in, t, typed, answer=answer)


@router.post("/watch")
async def watch(request: Request, signed_in: DistrictSessionDep, t: TranslatorDep) -> HTMLResponse:
    """Watch the typed identifier for the officer's district (a state's officer has none: 404)."""
    typed, district = await _typed(request, signed_in), signed_in.district
    assert district is not None  # a district's session
    lookups = notifier_of(request).lookups
    try:
        watching = await _asked(
            t,
            lambda: lookups.watch(
                signed_in.officer.actor, district.code, WatchSubmission(identifier=typed)
            ),
        )
    except _Refused as refused:
        return _refused(signed_in, t, typed, refused.why, status_code=refused.status)
    target = named(watching.identifiers)
    await record(request, signed_in, WATCHED, district=district.code, target=target)
    return _page(signed_in, t, typed, watching=watching)


class _Refused(Exception):
    def __init__(self, why: str, status: int = 422) -> None:
        super().__init__(why)
        self.why, self.status = why, status


async def _asked(t: Translator, ask: Callable[[], Awaitable[Answered]]) -> Answered:
    """What `ask` answers, or _Refused saying why in the officer's language."""
    try:
        return await ask()
    except ValidationError:
        raise _Refused(t.gettext("Choose a type and type a value.")) from None
    except InvalidLookup as invalid:
        raise _Refused("; ".join(e.reason for e in invalid.errors)) from None
    except ProblemError as problem:
        raise _Refused(t.gettext(problem.title), problem.status) from None


async def _typed(request: Request, signed_in: SignedIn) -> dict[str, str]:
    """The form's identifier fields, as typed (blank ones left out)."""
    form = await checked_form(request, signed_in)
    return {name: form[name].strip() for name in FIELDS if form.get(name, "").strip()}


def _refused(
    signed_in: SignedIn, t: Translator, typed: dict[str, str], why: str, *, status_code: int = 422
) -> HTMLResponse:
    return _page(signed_in, t, typed, refused=why, status_code=status_code)


def _page(
    signed_in: SignedIn,
    t: Translator,
    typed: dict[str, str],
    *,
    answer: LookupAnswer | None = None,
    watching: WatchAnswer | None = None,
    refused: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        "lookup.html",
        t,
        status_code=status_code,
        signed_in=signed_in,
        types=TYPES,
        form=typed,
        answer=answer,
        watching=watching,
        refused=refused,
    )
