"""An alert's reason is worded from its rule and facts in any language: the English sentence
integrators read, and the same facts in Hindi and Marathi for officers."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from crosslink.i18n import LANGUAGES, Language, translator
from crosslink.reasons import IMPORT_DIGEST, known_rules, reason_of, word
from schemas.events import (
    AlertRaised,
    ArrestFacts,
    CaseRef,
    GenericValueDecided,
    IdentifierRef,
    ReasonFacts,
    SeizedIdentifier,
    WatchChanged,
)
from schemas.identifiers import IdentifierType
from services.matcher.matching import (
    TokenState,
    on_generic_decision,
    on_link_withdrawn,
    on_registry_entry,
    on_sighting,
    on_watch_changed,
)
from tests.builders import alert_raised
from tests.unit.test_arrests import arrest, record
from tests.unit.test_clustering import BPL, KOL, MUM1, UPI, Clustering
from tests.unit.test_clustering import PHONE as CLUSTER_PHONE
from tests.unit.test_matching import (
    IP,
    NOW,
    RULES,
    case,
    entry,
    sight_all,
    sighting,
    withdrawal,
)
from tests.unit.test_matching import PHONE as MATCHED_PHONE

PHONE = IdentifierRef(
    type=IdentifierType.PHONE, token="tok_1", key_id="k1", masked="+91 98•••••210"
)
EARLIER = CaseRef(
    complaint_id="MUM-0001", district="MH-MUM", police_station="Cyber PS West",
    registered_at=datetime(2025, 3, 14, 9, 30, tzinfo=UTC),
)  # fmt: skip
SPREAD = ReasonFacts(
    complaints=1234, districts=("MH-MUM", "MP-BPL", "WB-KOL"), states=("MH", "MP", "WB")
)
DECISION = ReasonFacts(
    decided_by="Ops desk", decided_on=datetime(2026, 11, 2, tzinfo=UTC), note="SBI helpline"
)
# Each rule with facts as the matcher fills them, and what the English sentence must say.
ARREST = ArrestFacts(
    arrest_id="JH-0042", district="JH-JAM", police_station="Cyber PS Jamtara",
    arrested_at=datetime(2026, 12, 1, 6, tzinfo=UTC), status="police_custody",
    status_since=datetime(2026, 12, 1, 6, tzinfo=UTC), accused=2, held_at="Cyber PS Jamtara",
    contact_name="Insp. R. Murmu", contact_phone="+91 94311 00000",
    seized=(SeizedIdentifier(type=IdentifierType.PHONE, masked="+91 98•••••210"),
            SeizedIdentifier(type=IdentifierType.UPI, masked="ab•••@ybl")),
)  # fmt: skip
CASES: dict[str, tuple[ReasonFacts, list[str]]] = {
    "shared_identifier": (
        ReasonFacts(complaints=2, districts=("MH-MUM", "MP-BPL")),
        ["The same phone +91 98•••••210 was named in 2 complaints (MH-MUM, MP-BPL)."],
    ),
    "weak_identifier_within_window": (
        ReasonFacts(complaints=2, districts=("MH-MUM",), weak=True, window_hours=24),
        ["within 24 hours of each other", "weak"],
    ),
    "possibly_recycled_number": (
        ReasonFacts(complaints=2, districts=("MH-MUM", "MP-BPL"), weak=True, recycling_days=365),
        ["named in 2 complaints (MH-MUM, MP-BPL)", "More than 365 days passed between them",
         "given to a new subscriber", "a lead to check, not a fact"],
    ),
    "prolific_identifier": (
        SPREAD.model_copy(update={"complaint_id": "BPL-9", "earlier": EARLIER}),
        ["named in your complaint BPL-9 has been named in 1,234 complaints in 3 districts of 3 "
         "states (MH, MP, WB)", "The earliest is MUM-0001 (MH-MUM, registered 14 Mar 2025).",
         "It is not in the suspect registry."],
    ),
    "prolific_identifier_digest": (
        SPREAD.model_copy(update={"new_complaints": 3, "new_districts": ("WB-KOL",),
                                  "new_states": ("WB",), "period_hours": 24}),
        ["3 new since the last summary, from 1 new district (WB-KOL), reaching WB.",
         "at most once every 24 hours"],
    ),
    "registry_hit": (
        ReasonFacts(complaint_id="BPL-9", registry=("NCRP R-17",)),
        ["named in complaint BPL-9 is in the suspect registry (NCRP R-17)."],
    ),
    "hub_identifier": (
        SPREAD.model_copy(update={"threshold": 25}),
        ["more than the threshold of 25"],
    ),
    "hub_identifier_count": (SPREAD.model_copy(update={"threshold": 25}), ["1,234 complaints"]),
    "generic_value": (
        SPREAD.model_copy(update={"your_complaints": 1, "first_complaint_id": "MUM-0001",
                                  **DECISION.model_dump(exclude_defaults=True)}),
        ["named in 1 of your complaints (the first MUM-0001) and in 1,234 complaints in all",
         "operators decided on 2 Nov 2026 (SBI helpline)"],
    ),
    "generic_value_decided": (
        DECISION.model_copy(update={"districts_told": 1}),
        ["Ops desk marked the phone +91 98•••••210 a generic value", "Reason: SBI helpline.",
         "1 district it had linked was told."],
    ),
    "generic_value_withdrawn": (DECISION, ["Ops desk withdrew the decision"]),
    "link_withdrawn": (
        ReasonFacts(complaint_id="MUM-0001", district="MH-MUM", withdrawn_because="victims_own"),
        ["MH-MUM says its complaint MUM-0001 is not linked to yours through the phone "
         "+91 98•••••210: it is the victim's own."],
    ),
    "watch_hit": (
        ReasonFacts(complaint_id="KOL-2", district="WB-KOL", watched_by="officer:asha",
                    watched_since=datetime(2026, 11, 23, 20, 0, tzinfo=UTC)),
        ["A new complaint, KOL-2 of WB-KOL, names the phone +91 98•••••210, which asha has "
         "watched since 24 Nov 2026."],
    ),
    "arrest_recorded": (
        ReasonFacts(your_complaints=3, first_complaint_id="MUM-0001", naming_seized=2,
                    arrest=ARREST),
        ["JH-JAM (Cyber PS Jamtara) arrested 2 persons on 1 Dec 2026.",
         "Seized: phone +91 98•••••210, UPI ID ab•••@ybl.",
         "Status: in police custody since 1 Dec 2026, at Cyber PS Jamtara.",
         "3 of your complaints are linked to it (the first MUM-0001): 2 name a seized "
         "identifier, the others are in the same gang.", "Call Insp. R. Murmu on +91 94311 00000."],
    ),
    "arrest_status_changed": (
        ReasonFacts(your_complaints=0, arrest=ARREST.model_copy(
            update={"status": "on_bail", "held_at": None,
                    "status_since": datetime(2026, 12, 20, 6, tzinfo=UTC)})),
        ["News of arrest JH-0042 by JH-JAM (Cyber PS Jamtara) on 1 Dec 2026.",
         "Status: on bail since 20 Dec 2026.",
         "None of your complaints is linked to it any more."],
    ),
    "cluster_linked": (
        ReasonFacts(complaints=3, districts=("MH-MUM", "MP-BPL", "WB-KOL"), complaint_id="KOL-2",
                    district="WB-KOL", earlier=EARLIER, new_districts=("WB-KOL",)),
        ["3 complaints in 3 districts (MH-MUM, MP-BPL, WB-KOL) are linked", "new since the last "
         "alert: WB-KOL. Complaint KOL-2 (WB-KOL) joined it through the phone +91 98•••••210 it "
         "shares with complaint MUM-0001 (MH-MUM)."],
    ),
    "import_digest": (
        ReasonFacts(import_id="NCRP-2019", your_complaints=12, districts=("MP-BPL", "WB-KOL"),
                    links=30, gangs=2),
        ["Back-fill NCRP-2019 linked 12 of your complaints to complaints of MP-BPL, WB-KOL.",
         "30 links were found.", "They form 2 gangs.", "marked historical"],
    ),
}  # fmt: skip
CODES = {"UPI", "IMEI", "IP", "ID"}


def test_every_rule_has_a_wording_and_a_case_here() -> None:
    assert set(known_rules()) == set(CASES)


@pytest.mark.parametrize("rule", CASES)
def test_the_english_wording_states_the_facts(rule: str) -> None:
    facts, says = CASES[rule]

    reason = word(rule, PHONE, facts, translator("en"))

    for part in says:
        assert part in reason


@pytest.mark.parametrize("language", [language for language in LANGUAGES if language != "en"])
@pytest.mark.parametrize("rule", CASES)
def test_hindi_and_marathi_state_the_same_facts_in_no_english(
    rule: str, language: Language
) -> None:
    facts, _ = CASES[rule]

    reason = word(rule, PHONE, facts, translator(language))

    # Every code, id and count the English states, and no English word outside them.
    english = word(rule, PHONE, facts, translator("en"))
    stated = [
        *facts.districts, *facts.states, *facts.new_districts, *facts.registry,
        facts.complaint_id, facts.first_complaint_id, facts.import_id, PHONE.masked, "1,234",
    ]  # fmt: skip
    for value in stated:
        assert value is None or value not in english or value in reason
    latin = set(re.findall(r"[A-Za-z][A-Za-z0-9-]*", reason))
    codes = set(re.findall(r"[A-Z]{2}-[A-Z]{3}|[A-Z]+-\d+|\b[A-Z]{2,}\b", english))
    people = f"{facts.note} {facts.decided_by} {facts.watched_by}"
    if (arrest := facts.arrest) is not None:  # as the arresting district wrote them
        seized = " ".join(s.masked for s in arrest.seized)
        people += f" {arrest.police_station} {arrest.contact_name} {arrest.held_at} {seized}"
    words_of_people = set(re.findall(r"[A-Za-z]+", people))
    assert latin - CODES - codes - words_of_people == set()


def test_a_count_of_one_is_worded_in_the_singular() -> None:
    one = word(
        "prolific_identifier_digest",
        PHONE,
        CASES["prolific_identifier_digest"][0],
        translator("en"),
    )
    assert "from 1 new district (WB-KOL)" in one
    assert "1 new districts" not in one


def test_an_alert_without_the_facts_it_needs_keeps_its_english_reason_in_every_language() -> None:
    old = alert_raised("MH-MUM", "MP-BPL", kind="registry_hit")  # raised before facts existed
    newer_rule = alert_raised("MH-MUM", "MP-BPL").model_copy(update={"rule": "a_future_rule"})

    incomplete = alert_raised("MH-MUM", "MP-BPL").model_copy(
        update={"rule": "prolific_identifier"}  # its sentence needs the earliest complaint
    )

    for language in LANGUAGES:
        assert reason_of(old, translator(language)) == old.reason
        assert reason_of(newer_rule, translator(language)) == newer_rule.reason
        assert reason_of(incomplete, translator(language)) == incomplete.reason


def matcher_alerts() -> list[AlertRaised]:
    """Alerts of every rule, as the matcher's own rules raise them."""
    state, outcomes = sight_all(*(case(d, str(i)) for i, d in enumerate(
        ["MH-MUM", "MP-BPL", "MH-MUM", "WB-KOL", "RJ-JAI", "MP-BPL", "KA-BLR"]
    )))  # fmt: skip
    alerts = [alert for outcome in outcomes for alert in outcome.alerts]
    registered = on_registry_entry(state, entry(), now=NOW)
    decided = GenericValueDecided(
        decision_id="d-1", identifier=MATCHED_PHONE, generic=True,
        reason="a bank's published number", decided_by="Ops desk", decided_at=NOW,
    )  # fmt: skip
    marked = on_generic_decision(state, decided, now=NOW)
    assert registered is not None
    assert marked is not None
    withdrawn = on_generic_decision(
        marked.state, decided.model_copy(update={"generic": False}), now=NOW
    )
    assert withdrawn is not None
    _, small = sight_all(case("MH-MUM", "a"), case("MP-BPL", "b"))
    not_linked = on_link_withdrawn(
        small[-1].state, withdrawal(case("MH-MUM", "a")), counted=True, rules=RULES, now=NOW
    )
    assert not_linked is not None
    one = on_registry_entry(small[-1].state, entry(), now=NOW)
    _, weak = sight_all(case("MH-MUM", "w1"), case("MP-BPL", "w2"), identifier=IP)
    years_before = case("MH-PUN", "r1", registered_at=datetime(2023, 1, 9, tzinfo=UTC))
    _, recycled = sight_all(years_before, case("MP-BPL", "r2"))
    assert one is not None
    clustering = Clustering()
    clustering.file(MUM1, CLUSTER_PHONE)
    clustering.file(BPL, CLUSTER_PHONE, UPI)
    cluster = clustering.file(KOL, UPI)
    assert cluster is not None
    watch = WatchChanged(
        watch_id="w-1", identifier=MATCHED_PHONE, district="MH-MUM", watched_by="officer:asha",
        changed_at=NOW, until=NOW.replace(year=NOW.year + 1),
    )  # fmt: skip
    watching = on_watch_changed(TokenState(), watch)
    assert watching is not None
    hit = on_sighting(watching.state, sighting(case("WB-KOL", "h1")), rules=RULES, now=NOW)
    assert hit is not None
    arrested = Clustering()
    arrested.file(MUM1, CLUSTER_PHONE)
    arrests = record(arrested, arrest(CLUSTER_PHONE))
    arrested.file(BPL, CLUSTER_PHONE)
    arrests += record(arrested, arrest(CLUSTER_PHONE, status="on_bail"))
    return [
        *arrests,
        *alerts, *registered.alerts, *marked.alerts, *withdrawn.alerts, *one.alerts,
        *not_linked.alerts,
        *(a for outcome in weak for a in outcome.alerts),
        *(a for outcome in recycled for a in outcome.alerts), cluster, *hit.alerts,
    ]  # fmt: skip


def test_every_rule_the_matcher_raises_is_worded_from_its_facts_in_every_language() -> None:
    alerts = matcher_alerts()

    # An import's digest is the notifier's, about a back-fill rather than one identifier.
    assert {alert.rule for alert in alerts} == set(known_rules()) - {IMPORT_DIGEST}
    for alert in alerts:
        assert alert.facts is not None
        assert reason_of(alert, translator("en")) == alert.reason
        for language in ("hi", "mr"):
            worded = reason_of(alert, translator(language))
            assert alert.about.masked in worded
            assert worded != alert.reason
