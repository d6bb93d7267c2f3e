"""A gang's page exported for the case diary as PDF: what its complaints and links are, who
arrested whom, for the district that asked, in the same terms as the console's page (masked
identifiers, complaint references; never a raw value or a token). Pure but for the fonts it
embeds (Noto Sans, from the console's fonts directory: a masked value's "•" is not in the PDF
core fonts; Noto Sans Devanagari for what officers wrote in Hindi or Marathi). Its own words are
English for now: the console's page is in the officer's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from crosslink.i18n import Translator, translator
from crosslink.reasons import CUSTODY_STATUSES, TYPE_NAMES
from schemas.events import ArrestFacts
from schemas.gangs import GangGraph
from services.notifier.gangs import labelled

FONT, DEVANAGARI = "NotoSans", "NotoSansDevanagari"
# In the console's fonts directory: regular and bold, Latin then Devanagari (for what officers
# wrote in Hindi or Marathi, such as a police station's name), shaped with HarfBuzz.
FONTS = (
    "NotoSans-Regular.ttf",
    "NotoSans-Bold.ttf",
    "NotoSansDevanagari-Regular.ttf",
    "NotoSansDevanagari-Bold.ttf",
)


MARKING = "RESTRICTED: for police use in the investigation of these complaints only"


def fonts_missing(fonts_dir: Path) -> list[str]:
    """The fonts a PDF needs that `fonts_dir` does not hold."""
    return [font for font in FONTS if not (fonts_dir / font).is_file()]


def gang_pdf(
    graph: GangGraph,
    *,
    districts: Sequence[str],
    arrests: Sequence[ArrestFacts],
    made_by: str,
    made_at: datetime,
    fonts_dir: Path,
) -> bytes:
    """The gang as a PDF for an officer of `districts` (their complaints marked)."""
    t = translator("en")
    type_names = type_names_in(t)
    pdf = _Diary(f"crosslink: gang {graph.cluster_id}, for {', '.join(districts)}")
    families = ((FONT, ""), (FONT, "B"), (DEVANAGARI, ""), (DEVANAGARI, "B"))
    for (family, style), font in zip(families, FONTS, strict=True):
        pdf.add_font(family, style, fonts_dir / font)
    pdf.set_fallback_fonts([DEVANAGARI])
    pdf.set_text_shaping(True)
    pdf.set_title(f"Gang {graph.cluster_id}")
    pdf.set_creator("crosslink")
    pdf.set_creation_date(made_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 15)
    pdf.cell(text=f"Gang {graph.cluster_id}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
    listed = len(graph.complaints)
    summary = [
        f"{graph.size} complaints in {len(graph.districts)} districts of "
        f"{len(graph.states)} states: {', '.join(graph.districts)}.",
        f"Made for {', '.join(districts)} by {made_by} on {t.moment(made_at)}.",
    ]
    if listed < graph.size:
        summary.append(
            f"{listed} of them are listed: those of {', '.join(districts)} first, then the "
            "earliest."
        )
    for line in summary:
        pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _heading(pdf, "Arrests and seizures")
    if not arrests:
        pdf.multi_cell(0, 5, "None recorded.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for arrest in arrests:
        held = f", at {arrest.held_at}" if arrest.held_at else ""
        seized = ", ".join(f"{type_names[s.type.value]} {s.masked}" for s in arrest.seized)
        text = (
            f"{arrest.arrest_id}: {arrest.district} ({arrest.police_station}), "
            f"{t.date(arrest.arrested_at)}; {arrest.accused} accused; "
            f"{CUSTODY_STATUSES[arrest.status]} since {t.date(arrest.status_since)}{held}. "
            f"Seized: {seized}. Contact: {arrest.contact_name}, {arrest.contact_phone}."
        )
        pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _heading(pdf, "Identifiers linking the complaints")
    with pdf.table(col_widths=(70, 40, 40), text_align=("LEFT", "RIGHT", "RIGHT")) as table:
        table.row(("Identifier (masked)", "In this gang", "In all"))
        for identifier in graph.identifiers:
            counts = (str(identifier.in_gang), str(identifier.complaints))
            table.row((labelled(identifier, type_names), *counts))
    _heading(pdf, "Complaints")
    mine = set(districts)
    with pdf.table(col_widths=(40, 22, 60, 30, 18)) as table:
        table.row(("Complaint", "District", "Police station", "Registered", "Yours"))
        for case in graph.complaints:
            yours = "yes" if case.district in mine else ""
            table.row(
                (
                    case.complaint_id,
                    case.district,
                    case.police_station,
                    t.date(case.registered_at),
                    yours,
                )
            )
    return bytes(pdf.output())


def type_names_in(t: Translator) -> dict[str, str]:
    """Each identifier type's name in `t`'s language, by its value ("upi": "UPI ID")."""
    return {kind.value: t.gettext(name) for kind, name in TYPE_NAMES.items()}


class _Diary(FPDF):
    """Every page headed with what it is and its marking, and numbered."""

    def __init__(self, heading: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self._heading = heading

    def header(self) -> None:
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"{self._heading}. {MARKING}.", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.cell(0, 5, f"Page {self.page_no()}/{{nb}}", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    pdf.cell(text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", 10)
