"""Answers a look-up of one token from the identifiers table (schemas/lookups.py), on the
worker that holds the token's partition: faust's router sends the request on to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import faust

from schemas.lookups import MATCHER_LOOKUP_PATH, DistrictCount, TokenFootprint
from services.matcher.matching import TokenState


def footprint_of(state: TokenState) -> TokenFootprint:
    """What the row says about its identifier, without a raw value: it holds none."""
    districts = tuple(
        DistrictCount(
            district=code,
            complaints=tally.complaints,
            first_complaint_id=tally.first_id,
            first_police_station=tally.first_station,
            first_registered_at=tally.first_at,  # ISO 8601 text, parsed by the model
            latest_registered_at=tally.latest_at,
        )
        for code, tally in sorted(state.districts.items())
        if tally.complaints > 0
    )
    return TokenFootprint(
        complaints=state.complaints,
        districts=districts,
        registry_entries=len(state.registry),
        generic=state.generic is not None,
    )


def install_lookups(app: faust.App, state_by_token: Any, recovered: Callable[[], bool]) -> None:
    """`GET /lookups/{token}`: the token's footprint, from whichever worker holds it; 503
    while this worker's tables are recovering (its rows may be behind)."""

    @app.page(MATCHER_LOOKUP_PATH)
    @app.table_route(table=state_by_token, match_info="token")
    async def lookup(
        view: faust.web.View, request: faust.web.Request, token: str
    ) -> faust.web.Response:
        if not recovered():
            return view.json({"status": "recovering"}, status=503)
        stored = state_by_token.get(token)
        state = TokenState() if stored is None else TokenState.model_validate_json(stored)
        return view.json(footprint_of(state).model_dump(mode="json"))
