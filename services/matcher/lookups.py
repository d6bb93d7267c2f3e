"""Reads answered from the matcher's tables, each on the worker that holds the row: any worker
asked passes the request on to it. A look-up of one token from the identifiers table
(schemas/lookups.py), and a gang's page from the clusters table (schemas/gangs.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import faust
from faust.types import TP

from crosslink.partitioning import partition_of
from schemas.gangs import MATCHER_GANG_PATH
from schemas.lookups import MATCHER_LOOKUP_PATH, DistrictCount, TokenFootprint
from schemas.topics import COMPLAINTS_FILED, IDENTIFIER_SIGHTED
from services.matcher.gangs import gang_graph
from services.matcher.matching import TokenState

log = logging.getLogger(__name__)
FORWARDED = "X-Crosslink-Forwarded"  # a request passed on once is not passed on again


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


class _Placement:
    """Where a table's row for a key is kept: the partition of the input the key's events
    are on, and the worker the group gave it to.

    Not faust's `table_route`: its router hashes the key as the changelog topic would serialize
    it, which is not where intake's producer (murmur2 of the token) put the token's events, so
    it sent a look-up to a worker without the row (tests/e2e/test_lookups.py, with no standby
    copies to hide it). The partition is found as intake's producer finds it, and its worker
    from the assignment every worker shares."""

    def __init__(
        self, app: faust.App, table: Any, topic: str, partition: Callable[[str], int]
    ) -> None:
        self._app, self._table, self._topic, self._partition = app, table, topic, partition
        self._changelog = table.changelog_topic.get_topic_name()

    def holds(self, key: str) -> bool:
        """Whether this worker processes the key's partition (its rows are written there)."""
        return TP(self._topic, self._partition(key)) in self._app.consumer.assignment()

    def owner(self, key: str) -> str | None:
        """The URL of the worker the group gave the key's partition to, if any."""
        mine = self._partition(key)
        hosts = self._app.router.table_metadata(self._table.name)
        return next(
            (url for url, tps in hosts.items() if mine in tps.get(self._changelog, ())), None
        )


def install_reads(
    app: faust.App, state_by_token: Any, clusters: Any, recovered: Callable[[], bool]
) -> None:
    """`GET /lookups/{token}`: the token's footprint; `GET /gangs/{cluster_id}`: the gang's
    complaints and links (404 if there is no such cluster). Each from the worker that processes
    the row's partition, whichever worker is asked; 503 while tables are recovering or
    partitions move."""
    tokens = _Placement(
        app,
        state_by_token,
        IDENTIFIER_SIGHTED.name,
        lambda token: partition_of(token, IDENTIFIER_SIGHTED.partitions),
    )
    gangs = _Placement(app, clusters, COMPLAINTS_FILED.name, lambda _: 0)  # one partition

    @app.page(MATCHER_LOOKUP_PATH)
    async def lookup(
        view: faust.web.View, request: faust.web.Request, token: str
    ) -> faust.web.Response:
        def answer() -> faust.web.Response:
            stored = state_by_token.get(token)
            state = TokenState() if stored is None else TokenState.model_validate_json(stored)
            return view.json(footprint_of(state).model_dump(mode="json"))

        return await _answered(app, view, request, recovered, tokens, token, answer)

    @app.page(MATCHER_GANG_PATH)
    async def gang(
        view: faust.web.View, request: faust.web.Request, cluster_id: str
    ) -> faust.web.Response:
        asking = request.query.get("for", "").split(",")  # listed first in a big gang

        def answer() -> faust.web.Response:
            graph = gang_graph(clusters, cluster_id, asking)
            if graph is None:
                return view.json({"status": "no such gang"}, status=404)
            return view.json(graph.model_dump(mode="json"))

        return await _answered(app, view, request, recovered, gangs, cluster_id, answer)


async def _answered(
    app: faust.App,
    view: faust.web.View,
    request: faust.web.Request,
    recovered: Callable[[], bool],
    placement: _Placement,
    key: str,
    answer: Callable[[], faust.web.Response],
) -> faust.web.Response:
    """`answer` here if this worker holds the key's row; else the owner's answer, passed on."""
    if not recovered():
        return view.json({"status": "recovering"}, status=503)
    if placement.holds(key):
        return answer()
    at = placement.owner(key)
    if at is None or FORWARDED in request.headers:
        # Never answered from a stale copy (a standby's, or files from before a rebalance).
        log.warning(
            "a read reached a worker that does not hold its row and cannot pass it on; if "
            "workers run on several hosts, set CROSSLINK_MATCHER_ADVERTISED_URL",
            extra={"path": request.url.path, "owner": at},
        )
        return view.json({"status": "not held here"}, status=503)
    return await _forwarded(app, view, f"{at.rstrip('/')}{request.url.path_qs}")


async def _forwarded(app: faust.App, view: faust.web.View, url: str) -> faust.web.Response:
    """The owner's answer, as it gave it."""
    async with app.http_client.get(url, headers={FORWARDED: "1"}) as response:
        text = await response.text()
        return view.text(text, content_type=response.content_type, status=response.status)
