"""A back-fill's digests: one per district told of any of its links, counting them. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

from crosslink.i18n import translator
from crosslink.reasons import reason_of
from schemas.events import AlertRaised, ClusterSummary
from services.notifier.import_digests import ImportLink, import_digests
from tests.builders import alert_raised

NOW = datetime(2026, 12, 3, tzinfo=UTC)


def in_gang(alert: AlertRaised, cluster_id: str) -> AlertRaised:
    summary = ClusterSummary(
        cluster_id=cluster_id, size=3, districts=tuple(alert.districts), path=()
    )
    return alert.model_copy(update={"kind": "cluster_linked", "cluster": summary})


def stored(*alerts: AlertRaised) -> list[ImportLink]:
    """The links as the notifier reads them back from the stored alerts."""
    return [ImportLink.model_validate_json(alert.model_dump_json()) for alert in alerts]


def test_each_district_told_of_a_link_gets_one_digest_counting_its_links_and_gangs() -> None:
    links = stored(
        alert_raised("MH-MUM", "MP-BPL"),
        in_gang(alert_raised("MH-MUM", "WB-KOL", "MP-BPL"), "cluster_a"),
        in_gang(alert_raised("MP-BPL", "WB-KOL"), "cluster_a"),
        in_gang(alert_raised("MP-BPL", "MP-BPL"), "cluster_b"),
    )

    digests = {d.districts[0]: d for d in import_digests("state-2019", links, now=NOW)}

    assert sorted(digests) == ["MH-MUM", "MP-BPL", "WB-KOL"]
    counted = {
        district: (f.links, f.your_complaints, f.districts, f.gangs)
        for district, digest in digests.items()
        if (f := digest.facts) is not None
    }
    assert counted == {
        "MH-MUM": (2, 2, ("MP-BPL", "WB-KOL"), 1),
        "MP-BPL": (4, 5, ("MH-MUM", "WB-KOL"), 2),
        "WB-KOL": (2, 2, ("MH-MUM", "MP-BPL"), 1),
    }
    bhopal = digests["MP-BPL"]
    assert (bhopal.kind, bhopal.identifier, bhopal.cases, bhopal.import_id) == (
        "import_digest",
        None,
        (),
        None,
    )
    assert "Back-fill state-2019 linked 5 of your complaints" in bhopal.reason
    assert reason_of(bhopal, translator("hi")) != bhopal.reason


def test_a_digest_composed_again_has_the_same_id() -> None:
    links = stored(alert_raised("MH-MUM", "MP-BPL"))

    first = import_digests("state-2019", links, now=NOW)
    again = import_digests("state-2019", links, now=NOW.replace(hour=5))

    assert [d.alert_id for d in first] == [d.alert_id for d in again]
    assert len({d.alert_id for d in first}) == 2


def test_a_link_read_back_goes_to_the_districts_its_alert_went_to() -> None:
    alert = alert_raised("MH-MUM", "MP-BPL", "MH-MUM")
    to_one = alert.model_copy(update={"recipients": ("WB-KOL",)})
    to_operators = alert.model_copy(update={"audience": "operators"})

    read = stored(alert, to_one, to_operators)

    assert [link.districts for link in read] == [["MH-MUM", "MP-BPL"], ["WB-KOL"], []]
    assert [a.districts for a in (alert, to_one, to_operators)] == [link.districts for link in read]
