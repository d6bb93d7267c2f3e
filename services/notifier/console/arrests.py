"""The console's arrest form: an officer of the arresting district records an arrest or a
seizure (or its new state: the same arrest id, the new status), as a district's case system
does with `PUT /v1/arrests/{id}`. The notifier relays it to intake (services/notifier/
lookups.py), the only service that may read the seized values; they are put back in the form
only for the page that refuses them, and are never logged or audited (the trail names the
arrest, its status and how many identifiers were seized)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import ValidationError

from crosslink.i18n import Translator
from crosslink.lookups import InvalidLookup
from crosslink.problems import ProblemError
from crosslink.reasons import CUSTODY_STATUSES
from schemas.api import ArrestAccepted, ArrestRelayed
from schemas.identifiers import IdentifierType
from services.notifier.console.audited import record
from services.notifier.console.guard import DistrictSessionDep, SignedIn, checked_form
from services.notifier.console.languages import TranslatorDep
from services.notifier.console.pages import PREFIX, render
from services.notifier.lookups import ARREST_RECORDED
from services.notifier.state import notifier_of

router = APIRouter(prefix=PREFIX, include_in_schema=False)
SEIZED_ROWS = 6  # identifiers the form takes at once; the API takes up to 100
FIELDS = (
    "arrest_id",
    "police_station",
    "arrested_at",
    "status",
    "status_since",
    "accused",
    "held_at",
    "contact_name",
    "contact_phone",
)
IST = timezone(timedelta(hours=5, minutes=30), "IST")  # what a datetime-local field means


@router.get("/arrests")
async def arrest_form(signed_in: DistrictSessionDep, t: TranslatorDep) -> HTMLResponse:
    return _page(signed_in, t, {})


@router.post("/arrests")
async def record_arrest(
    request: Request, signed_in: DistrictSessionDep, t: TranslatorDep
) -> HTMLResponse:
    form = {k: v.strip() for k, v in (await checked_form(request, signed_in)).items()}
    district = signed_in.district
    assert district is not None  # a district's session
    try:
        arrest = ArrestRelayed.model_validate(_body(form, district.code, signed_in.officer.actor))
    except ValidationError as invalid:
        problems = [f"{_field(e['loc'])}: {e['msg']}" for e in invalid.errors()]
        return _page(signed_in, t, form, refused=problems)
    try:
        accepted = await notifier_of(request).lookups.record_arrest(arrest)
    except InvalidLookup as invalid:
        return _page(signed_in, t, form, refused=[f"{e.field}: {e.reason}" for e in invalid.errors])
    except ProblemError as problem:
        return _page(signed_in, t, form, refused=[t.gettext(problem.title)], status=problem.status)
    await record(
        request,
        signed_in,
        ARREST_RECORDED,
        district=district.code,
        target=accepted.arrest_id,
        status=arrest.status,
        seized=accepted.identifiers_seized,
    )
    return _page(signed_in, t, {}, accepted=accepted)


def _body(form: dict[str, str], district: str, recorded_by: str) -> dict[str, object]:
    """The form as the API's body: blank fields left out, times read as IST."""
    body: dict[str, object] = {name: form[name] for name in FIELDS if form.get(name)}
    for name in ("arrested_at", "status_since"):
        if name in body:
            body[name] = _in_ist(str(body[name]))
    if "accused" in body and str(body["accused"]).isdigit():
        body["accused"] = int(str(body["accused"]))
    body["seized"] = [
        {"type": form.get(f"seized_type_{n}", ""), "value": form[f"seized_value_{n}"]}
        for n in range(SEIZED_ROWS)
        if form.get(f"seized_value_{n}")
    ]
    return {**body, "district": district, "recorded_by": recorded_by}


def _in_ist(value: str) -> str:
    """A datetime-local field's value ("2026-11-28T06:30") as a moment in IST; anything else
    as typed, for validation to refuse by name."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (moment if moment.tzinfo else moment.replace(tzinfo=IST)).isoformat()


def _field(location: tuple[int | str, ...]) -> str:
    """A validation error's field as the form names it ("seized[0].value")."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "form"


def _page(
    signed_in: SignedIn,
    t: Translator,
    form: dict[str, str],
    *,
    accepted: ArrestAccepted | None = None,
    refused: list[str] | None = None,
    status: int | None = None,
) -> HTMLResponse:
    return render(
        "arrest.html",
        t,
        status_code=status or (422 if refused else 200),
        signed_in=signed_in,
        form=form,
        rows=range(SEIZED_ROWS),
        types=tuple(kind.value for kind in IdentifierType),
        statuses=CUSTODY_STATUSES,
        accepted=accepted,
        refused=refused or [],
    )
