"""The console's look-up page: an officer types a suspect identifier and sees what crosslink
knows of it (services/notifier/lookups.py), the same answer, limit and audit entry as the
API's. The typed value is put back in the form only for the page that answers it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from crosslink.i18n import Translator
from crosslink.lookups import InvalidLookup
from crosslink.problems import ProblemError
from schemas.identifiers import IdentifierType
from schemas.lookups import LookupAnswer, LookupRequest
from services.notifier.console.audited import record
from services.notifier.console.guard import InvestigatorSessionDep, SignedIn, checked_form
from services.notifier.console.languages import TranslatorDep
from services.notifier.console.pages import PREFIX, render
from services.notifier.lookups import LOOKED_UP, shown_by, target_of
from services.notifier.state import notifier_of

router = APIRouter(prefix=PREFIX, include_in_schema=False)
TYPES = tuple(kind.value for kind in IdentifierType)
FIELDS = ("type", "value", "platform", "ifsc")


@router.get("/lookup")
async def lookup_page(signed_in: InvestigatorSessionDep, t: TranslatorDep) -> HTMLResponse:
    return _page(signed_in, t, {})


@router.post("/lookup")
async def look_up(
    request: Request, signed_in: InvestigatorSessionDep, t: TranslatorDep
) -> HTMLResponse:
    form = await checked_form(request, signed_in)
    typed = {name: form[name].strip() for name in FIELDS if form.get(name, "").strip()}
    answer: LookupAnswer | None = None
    try:
        lookup = LookupRequest.model_validate({"identifier": typed})
        answer = await notifier_of(request).lookups.look_up(_who(signed_in), lookup)
    except ValidationError:
        return _refused(signed_in, t, typed, t.gettext("Choose a type and type a value."))
    except InvalidLookup as invalid:
        return _refused(signed_in, t, typed, "; ".join(e.reason for e in invalid.errors))
    except ProblemError as problem:
        status = problem.status
        return _refused(signed_in, t, typed, t.gettext(problem.title), status_code=status)
    district = signed_in.district.code if signed_in.district else None
    target = target_of(answer)
    await record(
        request, signed_in, LOOKED_UP, district=district, target=target, shown=shown_by(answer)
    )
    return _page(signed_in, t, typed, answer=answer)


def _who(signed_in: SignedIn) -> str:
    return f"officer:{signed_in.officer.username}"


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
        refused=refused,
    )
