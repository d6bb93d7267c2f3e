"""A gang's page: the matcher's graph of one cluster, the path between two complaints, the
exports for the case diary, and the page drawn; none with a raw value or a token."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pypdfium2

from crosslink.i18n import translator
from schemas.events import ArrestFacts
from schemas.gangs import MAX_GANG_COMPLAINTS, GangGraph
from services.matcher.gangs import gang_graph
from services.matcher.matching import MatchingRules
from services.notifier.case_diary import gang_pdf, type_names_in
from services.notifier.console.gang_picture import state_map, timeline
from services.notifier.console.pages import render_text
from services.notifier.gangs import as_csv, labelled, may_see, path_between
from tests.unit.test_arrests import arrest, record
from tests.unit.test_clustering import (
    BPL,
    IMEI,
    KOL,
    MUM1,
    MUM2,
    NOW,
    PHONE,
    UPI,
    Clustering,
    case,
)
from tests.unit.test_console_pages import SIGNED_IN

ENGLISH = translator("en")
FONTS = Path("/usr/share/fonts/truetype/noto")
JAI = case("RJ-JAI", "3")


def chain() -> Clustering:
    """Mumbai -phone- Bhopal -UPI- Kolkata -IMEI- Jaipur; Mumbai's second complaint alone."""
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, PHONE, UPI)
    clustering.file(KOL, UPI, IMEI)
    clustering.file(JAI, IMEI)
    clustering.file(MUM2, PHONE.model_copy(update={"token": "z" * 8}))
    return clustering


def arrests_of(clustering: Clustering) -> list[ArrestFacts]:
    """The arrest of the phone, as each district told of it reads it."""
    told = [
        alert.facts.arrest if alert.facts else None for alert in record(clustering, arrest(PHONE))
    ]
    return [facts for facts in told if facts is not None]


def graph_of(clustering: Clustering) -> GangGraph:
    graph = gang_graph(clustering.rows, clustering.cluster_of(MUM1).cluster_id)
    assert graph is not None
    return graph


def test_a_gangs_graph_has_every_complaint_in_time_order_and_the_identifiers_linking_them() -> None:
    graph = graph_of(chain())

    # Registered at the same moment: in time order, then by district.
    assert [c.complaint_id for c in graph.complaints] == ["1", "7", "3", "9"]
    assert (graph.size, graph.districts) == (4, ("MH-MUM", "MP-BPL", "RJ-JAI", "WB-KOL"))
    linking = {i.masked: i.members for i in graph.identifiers}
    assert linking == {PHONE.masked: (0, 1), UPI.masked: (1, 3), IMEI.masked: (2, 3)}
    assert all(token not in graph.model_dump_json() for token in ("pppppppp", "uuuuuuuu"))


def test_a_merged_clusters_id_leads_to_the_gang_it_joined_and_an_unknown_id_to_none() -> None:
    clustering = Clustering()
    clustering.file(MUM1, PHONE)
    clustering.file(BPL, UPI)
    small = clustering.cluster_of(BPL).cluster_id
    clustering.file(KOL, PHONE, UPI)

    graph = gang_graph(clustering.rows, small)

    assert graph is not None
    assert graph.cluster_id == clustering.cluster_of(KOL).cluster_id != small
    assert gang_graph(clustering.rows, "cluster_unknown") is None


def test_a_number_in_two_holders_runs_links_each_run_apart() -> None:
    clustering = Clustering(MatchingRules())
    old = [case("MH-PUN", f"old{n}", days_ago=900 + n) for n in range(2)]
    for each in old:
        clustering.file(each, PHONE, UPI)
    clustering.file(BPL, PHONE, UPI)  # the UPI ID joins all three; the phone only two

    graph = graph_of_case(clustering, BPL)

    phone = [i.members for i in graph.identifiers if i.masked == PHONE.masked]
    assert phone == [(0, 1)]


def graph_of_case(clustering: Clustering, of: object) -> GangGraph:
    graph = gang_graph(clustering.rows, clustering.cluster_of(of).cluster_id)  # type: ignore[arg-type]
    assert graph is not None
    return graph


def test_the_path_between_two_complaints_is_the_fewest_links() -> None:
    graph = graph_of(chain())

    steps = path_between(graph, 0, 2)

    assert steps is not None
    assert [(s.earlier.complaint_id, s.identifier.masked, s.later.complaint_id) for s in steps] == [
        ("1", PHONE.masked, "7"), ("7", UPI.masked, "9"), ("9", IMEI.masked, "3"),
    ]  # fmt: skip
    assert path_between(graph, 2, 2) == []


def test_complaints_not_linked_among_those_listed_have_no_path() -> None:
    graph = graph_of(chain())
    cut = graph.model_copy(update={"identifiers": graph.identifiers[:1]})

    assert path_between(cut, 0, 2) is None


def test_only_an_officer_of_a_district_in_the_gang_may_see_it() -> None:
    graph = graph_of(chain())

    assert may_see(graph, ["KA-BLR", "WB-KOL"])
    assert not may_see(graph, ["KA-BLR"])


def test_the_csv_export_lists_each_complaint_with_its_links_and_defuses_formulas() -> None:
    graph = graph_of(chain())
    station = graph.complaints[0].model_copy(update={"police_station": "=HYPERLINK(1)"})
    graph = graph.model_copy(update={"complaints": (station, *graph.complaints[1:])})

    text = as_csv(graph, ["MH-MUM"], type_names_in(ENGLISH))

    assert text.startswith("\ufeff")  # for Excel to read it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))

    assert [row["complaint_id"] for row in rows] == ["1", "7", "3", "9"]
    assert rows[0]["police_station"] == "'=HYPERLINK(1)"
    assert rows[0]["your_district"] == "yes"
    assert rows[1]["your_district"] == "no"
    assert rows[1]["linked_through"] == f"phone {PHONE.masked}; UPI ID {UPI.masked}"


def test_the_pdf_export_opens_and_holds_the_complaints_and_no_token(tmp_path: Path) -> None:
    clustering = chain()
    arrests = arrests_of(clustering)
    graph = graph_of(clustering)
    hindi = graph.complaints[0].model_copy(update={"police_station": "कोतवाली थाना"})
    graph = graph.model_copy(update={"complaints": (hindi, *graph.complaints[1:])})

    pdf = gang_pdf(graph, districts=["MH-MUM"], arrests=arrests[:1],
                   made_by="mum.io", made_at=NOW, fonts_dir=FONTS)  # fmt: skip

    document = pypdfium2.PdfDocument(pdf)
    text = "".join(document[n].get_textpage().get_text_range() for n in range(len(document)))
    page = document[0].render(scale=1).to_pil()
    assert page.size[0] > 500
    darkest, lightest = page.convert("L").getextrema()
    assert (darkest, lightest) == (0, 255)  # text on white, not a blank page
    assert all(c.complaint_id in text for c in graph.complaints)
    assert "JH-0042" in text
    assert PHONE.masked in text
    assert "कोतवाली थाना" in text  # shaped in Noto Sans Devanagari, not dropped
    assert "pppppppp" not in text


def test_the_gang_page_draws_its_timeline_map_identifiers_and_path() -> None:
    clustering = chain()
    arrests = arrests_of(clustering)
    graph = graph_of(clustering)
    yours = {"MH-MUM"}

    page = render_text(
        "gang.html", ENGLISH, signed_in=SIGNED_IN, graph=graph, arrests=arrests[:1],
        yours=yours, timeline=timeline(graph, arrests[:1], yours, ENGLISH),
        map=state_map(graph), start=0, end=2, path=path_between(graph, 0, 2),
        type_names=type_names_in(ENGLISH), named=labelled,
        custody={"police_custody": "in police custody"},
    )  # fmt: skip

    assert page.count('<circle class="complaint') == 4
    assert page.count('class="state involved"') == 4  # MH, MP, RJ, WB
    assert 'class="arrest"' in page
    assert "9 (WB-KOL) and 3 (RJ-JAI) both name the phone i•••." in page
    assert "pppppppp" not in page


def test_a_gang_too_big_to_list_lists_the_asking_districts_complaints_and_counts_them_all() -> None:
    clustering = Clustering()
    crowd = [case("MH-MUM", f"m{n}", days_ago=500 - n) for n in range(MAX_GANG_COMPLAINTS)]
    late = [case("KA-BLR", f"k{n}") for n in range(2)]
    for each in (*crowd, *late):
        clustering.file(each, PHONE)
    cluster_id = clustering.cluster_of(late[0]).cluster_id

    graph = gang_graph(clustering.rows, cluster_id, ["KA-BLR"])

    assert graph is not None
    assert graph.size == MAX_GANG_COMPLAINTS + 2
    assert len(graph.complaints) == MAX_GANG_COMPLAINTS
    assert {c.complaint_id for c in graph.complaints} >= {"k0", "k1"}
    assert graph.states == ("KA", "MH")
    (phone,) = graph.identifiers
    assert (phone.in_gang, len(phone.members)) == (MAX_GANG_COMPLAINTS + 2, MAX_GANG_COMPLAINTS)


def test_a_row_that_is_not_a_cluster_is_no_gang() -> None:
    clustering = chain()

    assert gang_graph(clustering.rows, "identifier:" + PHONE.token) is None
