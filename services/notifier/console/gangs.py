"""The console's gang page: one cluster's complaints on a timeline and a map, the identifiers
linking them with their counts, the path of links between any two complaints, the arrests the
district was told of, and the case-diary exports (CSV, PDF). For an officer whose districts
have a complaint in the gang; any other gets the same 404 as for no such gang. Each view and
export is on the audit trail before it is sent."""

from __future__ import annotations

import logging
from functools import partial

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from crosslink.clock import utc_now
from crosslink.i18n import Translator
from crosslink.reasons import CUSTODY_STATUSES
from schemas.events import ArrestFacts
from schemas.gangs import GangGraph
from services.notifier.api import InboxDep
from services.notifier.case_diary import fonts_missing, gang_pdf, type_names_in
from services.notifier.console.audited import record
from services.notifier.console.gang_picture import state_map, timeline
from services.notifier.console.guard import InvestigatorSessionDep, PageNotFound, SignedIn
from services.notifier.console.languages import TranslatorDep
from services.notifier.console.pages import HEADERS, PREFIX, render
from services.notifier.gangs import (
    EXPORTED,
    VIEWED,
    GangUnavailable,
    as_csv,
    labelled,
    may_see,
    path_between,
)
from services.notifier.state import notifier_of
from services.notifier.store.inbox import Inbox, InboxQuery

log = logging.getLogger(__name__)
router = APIRouter(prefix=PREFIX, include_in_schema=False)
ARRESTS_SEARCHED = 200  # a district's latest arrest alerts searched for the gang's


@router.get("/gangs/{cluster_id}", response_model=None)
async def gang_page(
    request: Request,
    cluster_id: str,
    signed_in: InvestigatorSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
) -> Response:
    """`from` and `to` (places in the complaint list) ask for the path between two."""
    graph = await _graph(request, signed_in, cluster_id, t)
    if isinstance(graph, Response):
        return graph
    if graph.cluster_id != cluster_id:  # merged into a larger gang since the alert
        return RedirectResponse(f"{PREFIX}/gangs/{graph.cluster_id}", status_code=303)
    start, end = _place(request, "from", graph), _place(request, "to", graph)
    await record(
        request,
        signed_in,
        VIEWED,
        district=_own(signed_in),
        target=graph.cluster_id,
        complaints=graph.size,
    )
    arrests = await _arrests(inbox, signed_in, graph)
    yours = _yours(signed_in)
    path = path_between(graph, start, end) if start is not None and end is not None else None
    return render(
        "gang.html",
        t,
        signed_in=signed_in,
        graph=graph,
        arrests=arrests,
        yours=yours,
        timeline=timeline(graph, arrests, yours, t),
        map=state_map(graph),
        start=start,
        end=end,
        path=path,
        type_names=type_names_in(t),
        named=labelled,
        custody=CUSTODY_STATUSES,
    )


@router.get("/gangs/{cluster_id}/export.{form}", response_model=None)
async def gang_export(
    request: Request,
    cluster_id: str,
    form: str,
    signed_in: InvestigatorSessionDep,
    inbox: InboxDep,
    t: TranslatorDep,
) -> Response:
    """The gang for the case diary: `csv` (one row per complaint) or `pdf`."""
    if form not in ("csv", "pdf"):
        raise PageNotFound()
    graph = await _graph(request, signed_in, cluster_id, t)
    if isinstance(graph, Response):
        return graph
    fonts_dir = notifier_of(request).settings.console_fonts_dir
    if form == "pdf" and (missing := fonts_missing(fonts_dir)):
        log.error(
            "a gang's PDF export needs Noto Sans",
            extra={"fonts_dir": str(fonts_dir), "missing": missing},
        )
        title = t.gettext("The PDF export is not available on this server")
        text = t.gettext("Ask the operators to install Noto Sans. The CSV export works.")
        return render("message.html", t, status_code=503, title=title, text=text)
    await record(
        request,
        signed_in,
        EXPORTED,
        district=_own(signed_in),
        target=graph.cluster_id,
        format=form,
        complaints=len(graph.complaints),
    )
    name = f"crosslink-{graph.cluster_id}.{form}"
    headers = {**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'}
    if form == "csv":
        text = as_csv(graph, _yours(signed_in), type_names_in(t))
        return Response(text, media_type="text/csv; charset=utf-8", headers=headers)
    pdf = await run_in_threadpool(  # a second or two for a big gang: off the event loop
        partial(
            gang_pdf,
            graph,
            districts=sorted(_yours(signed_in) & set(graph.districts)),
            arrests=await _arrests(inbox, signed_in, graph),
            made_by=signed_in.officer.username,
            made_at=utc_now(),
            fonts_dir=fonts_dir,
        )
    )
    return Response(pdf, media_type="application/pdf", headers=headers)


async def _graph(
    request: Request, signed_in: SignedIn, cluster_id: str, t: Translator
) -> GangGraph | HTMLResponse:
    """The gang, if the officer may see it; the page saying it cannot be read now, if so."""
    try:
        graph = await notifier_of(request).gangs.graph(cluster_id, _yours(signed_in))
    except GangUnavailable:
        title = t.gettext("The gang's page could not be read; retry shortly")
        text = t.gettext("The matcher did not answer. Nothing was shown or recorded.")
        return render("message.html", t, status_code=503, title=title, text=text)
    if graph is None or not may_see(graph, _yours(signed_in)):
        raise PageNotFound()
    return graph


async def _arrests(inbox: Inbox, signed_in: SignedIn, graph: GangGraph) -> list[ArrestFacts]:
    """The arrests the officer's districts were told of that reach a complaint of the gang
    (every district of a gang is told of every arrest reaching it), earliest first."""
    keys = {case.key for case in graph.complaints}
    found: dict[str, ArrestFacts] = {}
    for district in sorted(_yours(signed_in) & set(graph.districts)):
        items, _ = await inbox.page(district, InboxQuery(kind="arrest", limit=ARRESTS_SEARCHED))
        for item in reversed(items):  # oldest first: a later state replaces an earlier one
            facts = item.alert.facts.arrest if item.alert.facts else None
            if facts is not None and keys & {case.key for case in item.alert.your_cases}:
                found[f"{facts.district}/{facts.arrest_id}"] = facts
    return sorted(found.values(), key=lambda arrest: arrest.arrested_at)


def _place(request: Request, name: str, graph: GangGraph) -> int | None:
    value = request.query_params.get(name, "")
    if not (value.isascii() and value.isdecimal()) or len(value) > 6:
        return None
    return int(value) if int(value) < len(graph.complaints) else None


def _yours(signed_in: SignedIn) -> set[str]:
    return {district.code for district in signed_in.districts}


def _own(signed_in: SignedIn) -> str | None:
    return signed_in.district.code if signed_in.district else None
