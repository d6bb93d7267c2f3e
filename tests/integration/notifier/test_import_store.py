"""A back-fill's links and the passes of its end, on the real database (SQLite and PostgreSQL):
a link waits as historical without deliveries; only the last pass asks for the digests; the
digests are stored with the import marked digested, or not at all if a link came meanwhile; a
link stored after them is delivered as any alert. Nothing the back-fill links is left untold."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from schemas.events import AlertRaised, ImportClosed, passes_of
from schemas.topics import IMPORT_MARKED
from services.notifier.import_digests import import_digests
from services.notifier.routing import PlannedDelivery, delivery_id
from services.notifier.store.database import Database, opened_database
from services.notifier.store.feedback import Feedback
from services.notifier.store.imports import DigestOf, Imports, ImportTold, StaleDigest
from services.notifier.store.outbox import Outbox
from services.notifier.store.tables import (
    deliveries,
    import_alerts,
    import_passes,
    imports,
    inbox_items,
)
from tests.builders import alert_raised

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
IMPORT = "mum-2019"


@dataclass
class Store:
    database: Database
    outbox: Outbox
    imports: Imports

    async def link(self, *districts: str) -> AlertRaised:
        """A back-fill's link, stored as the consumer stores it."""
        alert = alert_raised(*districts).model_copy(update={"import_id": IMPORT})
        await self.outbox.store([(alert, webhooks(alert))], now=NOW)
        return alert

    async def statuses(self, alert: AlertRaised) -> set[str]:
        query = select(inbox_items.c.status).where(inbox_items.c.alert_id == alert.alert_id)
        async with self.database.read() as db:
            return set((await db.execute(query)).scalars())

    async def delivered_to(self, alert: AlertRaised) -> list[str]:
        query = select(deliveries.c.district).where(deliveries.c.alert_id == alert.alert_id)
        async with self.database.read() as db:
            return sorted((await db.execute(query)).scalars())

    async def pass_all(self, *, but: int = 0) -> list[bool]:
        passes = [
            passed
            for spec in IMPORT_MARKED
            for source in range(spec.partitions)
            for passed in passes_of(
                ImportClosed(import_id=IMPORT, district="MH-MUM", closed_at=NOW, partition=source),
                spec.name,
            )
        ]
        return [await self.imports.passed(passed) for passed in passes[: len(passes) - but]]

    async def tell_digests(self) -> list[AlertRaised]:
        links = await self.imports.links(IMPORT)
        digests = import_digests(IMPORT, links, now=NOW)
        planned = [(digest, webhooks(digest)) for digest in digests]
        await self.outbox.store(planned, now=NOW, digest=DigestOf(IMPORT, len(links)))
        return digests


def webhooks(alert: AlertRaised) -> list[PlannedDelivery]:
    return [
        PlannedDelivery(delivery_id("webhook", alert.alert_id, d, "alert"), alert.alert_id, d,
                        "webhook", "alert")
        for d in alert.districts
    ]  # fmt: skip


@pytest.fixture
async def store(database: str) -> AsyncIterator[Store]:
    async with opened_database(database) as opened:
        yield Store(opened, Outbox(opened), Imports(opened))
        async with opened.write() as db:  # one database per module: each test starts afresh
            for table in (deliveries, inbox_items, import_alerts, import_passes, imports):
                await db.execute(delete(table))


async def test_a_link_waits_as_historical_without_deliveries_or_reminders(store: Store) -> None:
    link = await store.link("MH-MUM", "MP-BPL")

    assert await store.statuses(link) == {"historical"}
    assert await store.delivered_to(link) == []
    reminded = await store.outbox.schedule_reminders(
        unacknowledged_since=NOW + timedelta(days=30), plan=lambda a, d: [], now=NOW
    )
    assert reminded == []


async def test_only_the_last_pass_of_an_imports_end_asks_for_its_digests(store: Store) -> None:
    await store.link("MH-MUM", "MP-BPL")

    answers = await store.pass_all()

    assert answers == [False] * (len(answers) - 1) + [True]
    assert await store.pass_all(but=len(answers) - 1) == [True]  # a repeat, still untold


async def test_the_digests_are_stored_with_the_import_marked_digested(store: Store) -> None:
    await store.link("MH-MUM", "MP-BPL")
    await store.link("MP-BPL", "WB-KOL")
    await store.pass_all()

    digests = await store.tell_digests()

    assert [d.districts for d in digests] == [["MH-MUM"], ["MP-BPL"], ["WB-KOL"]]
    for digest in digests:
        assert await store.statuses(digest) == {"new"}
        assert await store.delivered_to(digest) == digest.districts
    assert (await store.pass_all())[-1] is False  # consumed again: told already


async def test_digests_composed_before_a_link_came_are_refused(store: Store) -> None:
    await store.link("MH-MUM", "MP-BPL")
    await store.pass_all()
    links = await store.imports.links(IMPORT)
    await store.link("MP-BPL", "WB-KOL")  # stored between composing and storing the digests

    digests = import_digests(IMPORT, links, now=NOW)
    with pytest.raises(StaleDigest):
        await store.outbox.store(
            [(d, webhooks(d)) for d in digests], now=NOW, digest=DigestOf(IMPORT, len(links))
        )

    for digest in digests:
        assert await store.delivered_to(digest) == []
    assert len(await store.tell_digests()) == 3  # composed again, from both links


async def test_a_link_after_the_digests_is_delivered_and_one_they_counted_is_not_again(
    store: Store,
) -> None:
    counted = await store.link("MH-MUM", "MP-BPL")
    await store.pass_all()
    await store.tell_digests()

    late = await store.link("MP-BPL", "WB-KOL")
    await store.outbox.store([(counted, webhooks(counted))], now=NOW)  # consumed again

    assert await store.statuses(late) == {"new"}
    assert await store.delivered_to(late) == ["MP-BPL", "WB-KOL"]
    assert await store.statuses(counted) == {"historical"}
    assert await store.delivered_to(counted) == []


async def test_the_states_tally_counts_the_digest_not_the_links_it_tells(store: Store) -> None:
    await store.link("MH-MUM", "MP-BPL")
    await store.link("MH-MUM", "WB-KOL")
    await store.pass_all()
    await store.tell_digests()

    tallies = await Feedback(store.database).tallies(["MH-MUM"], in_time=timedelta(hours=4))

    assert tallies["MH-MUM"].alerts == 1


async def test_an_imports_progress_says_what_it_waits_for(store: Store) -> None:
    await store.link("MH-MUM", "MP-BPL")
    [never_closed] = await store.imports.progress(limit=10)
    await store.pass_all(but=1)
    [waiting] = await store.imports.progress(limit=10)
    untold = await store.imports.untold()

    await store.pass_all()
    await store.tell_digests()

    [told] = await store.imports.progress(limit=10)
    assert (never_closed.links, never_closed.closed_by, never_closed.passes) == (1, None, 0)
    assert (waiting.closed_by, waiting.passes, waiting.passes_needed) == ("MH-MUM", 20, 21)
    assert (untold, await store.imports.untold()) == (1, 0)
    assert told.digested_at == NOW


async def test_an_import_that_linked_nothing_is_told_so_and_a_later_link_delivered(
    store: Store,
) -> None:
    await store.pass_all()

    assert await store.tell_digests() == []

    late = await store.link("MH-MUM", "MP-BPL")
    assert await store.delivered_to(late) == ["MH-MUM", "MP-BPL"]


async def test_digests_told_already_are_not_stored_again(store: Store) -> None:
    await store.link("MH-MUM", "MP-BPL")
    await store.pass_all()
    await store.tell_digests()

    with pytest.raises(ImportTold):
        await store.tell_digests()
