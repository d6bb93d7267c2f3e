"""Answers a look-up of one token from the identifiers table (schemas/lookups.py), on the
worker that holds the token's partition: any worker asked passes the request on to it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import faust
from faust.types import TP

from crosslink.partitioning import partition_of
from schemas.lookups import MATCHER_LOOKUP_PATH, DistrictCount, TokenFootprint
from schemas.topics import IDENTIFIER_SIGHTED
from services.matcher.matching import TokenState

log = logging.getLogger(__name__)
FORWARDED = "X-Crosslink-Forwarded"  # a look-up passed on once is not passed on again


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
    """`GET /lookups/{token}`: the token's footprint, from the worker that processes its
    partition, whichever worker is asked; 503 while tables are recovering or partitions move.

    Not faust's `table_route`: its router hashes the key as the changelog topic would serialize
    it, which is not where intake's producer (murmur2 of the token) put the token's events, so
    it sent a look-up to a worker without the row (tests/e2e/test_lookups.py, with no standby
    copies to hide it). The partition is found as intake's producer finds it, and its worker
    from the assignment every worker shares."""
    changelog = state_by_token.changelog_topic.get_topic_name()

    def partition(token: str) -> int:
        return partition_of(token, IDENTIFIER_SIGHTED.partitions)

    def holds(token: str) -> bool:
        """Whether this worker processes the token's partition (its rows are written there)."""
        return TP(IDENTIFIER_SIGHTED.name, partition(token)) in app.consumer.assignment()

    def owner(token: str) -> str | None:
        """The URL of the worker the group gave the token's partition to, if any."""
        mine = partition(token)
        hosts = app.router.table_metadata(state_by_token.name)
        return next((url for url, tps in hosts.items() if mine in tps.get(changelog, ())), None)

    @app.page(MATCHER_LOOKUP_PATH)
    async def lookup(
        view: faust.web.View, request: faust.web.Request, token: str
    ) -> faust.web.Response:
        if not recovered():
            return view.json({"status": "recovering"}, status=503)
        if holds(token):
            stored = state_by_token.get(token)
            state = TokenState() if stored is None else TokenState.model_validate_json(stored)
            return view.json(footprint_of(state).model_dump(mode="json"))
        at = owner(token)
        if at is None or FORWARDED in request.headers:
            # Never answered from a stale copy (a standby's, or files from before a rebalance).
            log.warning(
                "a look-up reached a worker that does not hold its token and cannot pass it "
                "on; if workers run on several hosts, set CROSSLINK_MATCHER_ADVERTISED_URL",
                extra={"token": token, "owner": at},
            )
            return view.json({"status": "not held here"}, status=503)
        return await _forwarded(app, view, f"{at.rstrip('/')}{request.url.path}")


async def _forwarded(app: faust.App, view: faust.web.View, url: str) -> faust.web.Response:
    """The owner's answer, as it gave it."""
    async with app.http_client.get(url, headers={FORWARDED: "1"}) as response:
        text = await response.text()
        return view.text(text, content_type=response.content_type, status=response.status)
