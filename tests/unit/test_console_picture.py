"""The cluster picture: complaints and the identifiers linking them, drawn from the alert."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from crosslink.i18n import translator
from schemas.api import DistrictAlert
from schemas.events import CaseRef, ClusterSummary, IdentifierRef, PathStep
from schemas.identifiers import IdentifierType
from services.notifier.console.picture import PALETTE, SPACING, draw
from services.notifier.routing import district_view
from tests.builders import alert_raised

ENGLISH = translator("en")

NOW = datetime(2026, 11, 23, tzinfo=UTC)
PHONE = IdentifierRef(
    type=IdentifierType.PHONE, token="p" * 64, key_id="k1", masked="+91 98•••••210"
)


def case(district: str, complaint_id: str) -> CaseRef:
    return CaseRef(complaint_id=complaint_id, district=district, police_station="PS",
                   registered_at=NOW)  # fmt: skip


def step(earlier: CaseRef, later: CaseRef, masked: str, kind: str = "phone") -> PathStep:
    return PathStep(earlier=earlier, later=later, identifier_type=IdentifierType(kind),
                    identifier_masked=masked)  # fmt: skip


def cluster_alert(district: str, *steps: PathStep) -> DistrictAlert:
    cases = tuple(dict.fromkeys(c for s in steps for c in (s.earlier, s.later)))
    alert = alert_raised(*{c.district for c in cases}, kind="cluster_linked").model_copy(
        update={
            "cases": cases,
            "cluster": ClusterSummary(
                cluster_id="cl-1",
                size=len(cases),
                districts=tuple(sorted({c.district for c in cases})),
                path=steps,
            ),
        }
    )
    return district_view(alert, district)


MUM, BPL, KOL = case("MH-MUM", "M-1"), case("MP-BPL", "B-1"), case("WB-KOL", "K-1")


def test_an_alert_without_a_cluster_draws_its_cases_around_its_identifier() -> None:
    picture = draw(district_view(alert_raised("MH-MUM", "MP-BPL"), "MH-MUM"), ENGLISH)

    assert [c.district for c in picture.complaints] == ["MH-MUM", "MP-BPL"]
    assert [i.label for i in picture.identifiers] == ["phone +91 98•••••210"]
    assert len(picture.edges) == 2


def test_a_cluster_is_drawn_from_its_explained_path() -> None:
    alert = cluster_alert(
        "MP-BPL", step(MUM, BPL, "+91 98•••••210"), step(BPL, KOL, "qu•••sh@ybl", "upi")
    )

    picture = draw(alert, ENGLISH)

    assert {c.complaint_id for c in picture.complaints} == {"M-1", "B-1", "K-1"}
    assert [i.label for i in picture.identifiers] == ["phone +91 98•••••210", "UPI ID qu•••sh@ybl"]
    assert {(e.complaint.complaint_id, e.identifier.label) for e in picture.edges} == {
        ("M-1", "phone +91 98•••••210"),
        ("B-1", "phone +91 98•••••210"),
        ("B-1", "UPI ID qu•••sh@ybl"),
        ("K-1", "UPI ID qu•••sh@ybl"),
    }


def test_the_viewing_districts_complaints_come_first_and_are_marked_as_theirs() -> None:
    picture = draw(cluster_alert("WB-KOL", step(MUM, BPL, "a"), step(BPL, KOL, "b")), ENGLISH)

    assert picture.complaints[0].district == "WB-KOL"
    assert [c.yours for c in picture.complaints] == [True, False, False]
    assert picture.legend[0][0] == "WB-KOL"


def test_each_district_has_its_own_colour_and_a_legend_entry() -> None:
    picture = draw(cluster_alert("MH-MUM", step(MUM, BPL, "a"), step(BPL, KOL, "b")), ENGLISH)

    colours = {c.district: c.colour for c in picture.complaints}
    assert len(set(colours.values())) == 3
    assert dict(picture.legend) == colours


def test_identifiers_never_overlap_and_everything_fits_in_the_picture() -> None:
    # Four complaints whose two identifiers both sit under the middle: they must be spread.
    a, b, c, d = (case("MH-MUM", f"C-{i}") for i in range(4))
    picture = draw(cluster_alert("MH-MUM", step(a, d, "first"), step(b, c, "second")), ENGLISH)

    below = sorted(i.x for i in picture.identifiers)
    assert below[1] - below[0] >= SPACING
    xs = [n.x for n in picture.complaints] + [n.x for n in picture.identifiers]
    assert all(0 < x < picture.width for x in xs)


def test_an_identifier_shared_by_several_steps_is_one_node() -> None:
    picture = draw(cluster_alert("MH-MUM", step(MUM, BPL, "same"), step(BPL, KOL, "same")), ENGLISH)

    assert len(picture.identifiers) == 1
    assert len(picture.edges) == 3


def _luminance(colour: str) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


@pytest.mark.parametrize("colour", PALETTE)
def test_every_district_colour_stands_out_from_the_white_page(colour: str) -> None:
    contrast = (1 + 0.05) / (_luminance(colour) + 0.05)

    assert contrast >= 3  # WCAG 1.4.11, non-text contrast
