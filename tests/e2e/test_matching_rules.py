"""Each matching rule on the real pipeline: registry hits, prolific identifiers, benign values,
weak IPs, gang clusters."""

from __future__ import annotations

import json

import pytest

from schemas.topics import ALERT_RAISED
from tests.builders import complaint_body, unique_mobile, unique_public_ip, unique_upi
from tests.conftest import read_topic
from tests.e2e.conftest import HUB_THRESHOLD, Pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def alerts_on_topic(pipeline: Pipeline, complaint_id: str) -> list[dict[str, object]]:
    """Alerts the matcher raised that name `complaint_id`, straight from the alerts topic."""
    alerts = [json.loads(r.value) for r in read_topic(pipeline.access, ALERT_RAISED.name)]
    return [a for a in alerts if complaint_id in {c["complaint_id"] for c in a["cases"]}]


def registry_entry(kind: str, value: str, reference: str = "NCRP-2026-1") -> dict[str, str]:
    return {"type": kind, "value": value, "source": "NCRP", "reference": reference}


def test_a_complaint_naming_a_registry_identifier_alerts_its_district(pipeline: Pipeline) -> None:
    upi = unique_upi()
    pipeline.add_to_registry(registry_entry("upi", upi.upper()))
    complaint = complaint_body("MH-MUM", ("upi", upi))

    pipeline.post(complaint)

    alert = pipeline.wait_for_alert("MH-MUM", complaint["complaint_id"], "registry_hit")
    assert alert["registry"] == [{"source": "NCRP", "reference": "NCRP-2026-1"}]
    assert "suspect registry" in alert["reason"]


def test_a_registry_entry_added_later_alerts_the_district_that_named_it(pipeline: Pipeline) -> None:
    phone = unique_mobile()
    complaint = complaint_body("MP-BPL", ("phone", phone))
    pipeline.post(complaint)
    pipeline.wait_until_idle()

    pipeline.add_to_registry(registry_entry("phone", phone.replace(" ", "-")))

    alert = pipeline.wait_for_alert("MP-BPL", complaint["complaint_id"], "registry_hit")
    assert alert["district"] == "MP-BPL"


def test_past_the_hub_threshold_each_new_complaints_district_is_told_the_count(
    pipeline: Pipeline,
) -> None:
    phone = unique_mobile()
    complaints = [
        complaint_body(("MH-MUM", "MP-BPL", "WB-KOL")[n % 3], ("phone", phone))
        for n in range(HUB_THRESHOLD + 3)
    ]

    for complaint in complaints:
        pipeline.post(complaint)

    for n, complaint in enumerate(complaints[HUB_THRESHOLD:], start=HUB_THRESHOLD + 1):
        alert = pipeline.wait_for_alert(
            complaint["district"],
            complaint["complaint_id"],
            "shared_identifier",
            rule="prolific_identifier",
        )
        assert alert["footprint"]["complaints"] == n
        assert f"has been named in {n} complaints" in alert["reason"]
    pipeline.wait_until_idle()
    [operators] = [
        a for a in pipeline.operator("GET", "/v1/operator/alerts?limit=500")
        if a["kind"] == "hub_identifier" and phone[-3:] in a["reason"]
    ]  # fmt: skip
    assert f"named in {len(complaints)} complaints" in operators["reason"]


def test_benign_values_never_link_complaints(pipeline: Pipeline) -> None:
    first = complaint_body("MH-MUM", ("phone", "1930"))
    second = complaint_body("WB-KOL", ("phone", "1930"))

    pipeline.post(first)
    pipeline.post(second)
    pipeline.wait_until_idle()

    assert alerts_on_topic(pipeline, second["complaint_id"]) == []


def test_a_weak_ip_links_complaints_only_within_the_window(pipeline: Pipeline) -> None:
    ip = unique_public_ip()
    early = complaint_body("MH-MUM", ("ip", ip), registered_at="2026-11-20T10:00:00+05:30")
    close = complaint_body("MP-BPL", ("ip", ip), registered_at="2026-11-20T18:00:00+05:30")
    far = complaint_body("WB-KOL", ("ip", ip), registered_at="2026-11-25T10:00:00+05:30")

    for complaint in (early, close, far):
        pipeline.post(complaint)

    alert = pipeline.wait_for_alert("MP-BPL", close["complaint_id"], "shared_identifier")
    assert alert["rule"] == "weak_identifier_within_window"
    assert alert["identifier"]["strength"] == "weak"
    pipeline.wait_until_idle()
    assert alerts_on_topic(pipeline, far["complaint_id"]) == []


def test_two_complaints_naming_one_phone_30_months_apart_get_a_possibly_recycled_lead(
    pipeline: Pipeline,
) -> None:
    """The number may have a new subscriber: both districts hear of it as a lead to check,
    neither as a strong shared-identifier link, and the two complaints are not one gang."""
    phone, upi = unique_mobile(), unique_upi()
    then = complaint_body("MH-MUM", ("phone", phone), ("upi", upi),
                          registered_at="2024-05-20T10:00:00+05:30")  # fmt: skip
    now = complaint_body("MP-BPL", ("phone", phone), registered_at="2026-11-20T10:00:00+05:30")
    same_gang_then = complaint_body("WB-KOL", ("upi", upi))

    for complaint in (then, now, same_gang_then):
        pipeline.post(complaint)

    for district in ("MH-MUM", "MP-BPL"):
        lead = pipeline.wait_for_alert(district, now["complaint_id"], "shared_identifier")
        assert lead["rule"] == "possibly_recycled_number"
        assert "new subscriber" in lead["reason"]
    pipeline.wait_until_idle()
    raised = alerts_on_topic(pipeline, now["complaint_id"])
    assert [(a["kind"], a["rule"]) for a in raised] == [
        ("shared_identifier", "possibly_recycled_number")
    ]
    facts = raised[0]["facts"]
    assert isinstance(facts, dict)
    assert facts["weak"] is True  # a lead to check, not a fact


def test_a_weak_ip_shared_by_two_gangs_leaves_them_two_gangs(pipeline: Pipeline) -> None:
    ip, one, other = unique_public_ip(), unique_mobile(), unique_mobile()
    first_gang = [complaint_body("MH-MUM", ("phone", one)),
                  complaint_body("MP-BPL", ("phone", one), ("ip", ip))]  # fmt: skip
    second_gang = [complaint_body("WB-KOL", ("phone", other), ("ip", ip)),
                   complaint_body("MH-MUM", ("phone", other))]  # fmt: skip

    for complaint in (*first_gang, *second_gang):
        pipeline.post(complaint)

    pipeline.wait_for_alert("WB-KOL", second_gang[0]["complaint_id"], "shared_identifier",
                            rule="weak_identifier_within_window")  # fmt: skip
    pipeline.wait_until_idle()
    named = {c["complaint_id"] for c in (*first_gang, *second_gang)}
    assert not [a for a in (json.loads(r.value) for r in read_topic(pipeline.access,
                                                                    ALERT_RAISED.name))
                if a["kind"] == "cluster_linked"
                and named & {c["complaint_id"] for c in a["cases"]}]  # fmt: skip


def test_a_value_marked_generic_links_nothing_more_and_the_districts_it_linked_are_told(
    pipeline: Pipeline,
) -> None:
    phone = unique_mobile()
    mumbai, bhopal = (complaint_body(d, ("phone", phone)) for d in ("MH-MUM", "MP-BPL"))
    for complaint in (mumbai, bhopal):
        pipeline.post(complaint)
    pipeline.wait_for_alert("MP-BPL", bhopal["complaint_id"], "shared_identifier")

    pipeline.decide_generic("phone", phone, reason="a loan app's published helpline")

    for district, complaint in (("MH-MUM", mumbai), ("MP-BPL", bhopal)):
        notice = pipeline.wait_for_alert(district, complaint["complaint_id"], "generic_value")
        assert "a loan app's published helpline" in notice["reason"]
    kolkata = complaint_body("WB-KOL", ("phone", phone))
    pipeline.post(kolkata)
    pipeline.wait_until_idle()
    assert alerts_on_topic(pipeline, kolkata["complaint_id"]) == []
    [record] = [
        a for a in pipeline.operator("GET", "/v1/operator/alerts?limit=500")
        if a["kind"] == "generic_value" and "a loan app's published helpline" in a["reason"]
    ]  # fmt: skip
    assert record["reason"].startswith("Ops desk marked the phone")


def test_the_same_sighting_delivered_again_raises_nothing_new(pipeline: Pipeline) -> None:
    phone = unique_mobile()
    first = complaint_body("MH-MUM", ("phone", phone))
    second = complaint_body("WB-KOL", ("phone", phone))
    pipeline.post(first)
    pipeline.post(second)
    pipeline.wait_for_alert("WB-KOL", second["complaint_id"], "shared_identifier")

    pipeline.post(second)  # intake publishes an identical sighting event again
    pipeline.wait_until_idle()

    assert len(alerts_on_topic(pipeline, second["complaint_id"])) == 1


def test_a_chain_of_shared_identifiers_across_three_districts_alerts_each_with_the_path(
    pipeline: Pipeline,
) -> None:
    phone, upi = unique_mobile(), unique_upi()
    mumbai = complaint_body("MH-MUM", ("phone", phone))
    bhopal = complaint_body("MP-BPL", ("phone", phone), ("upi", upi))
    kolkata = complaint_body("WB-KOL", ("upi", upi))

    for complaint in (mumbai, bhopal, kolkata):
        pipeline.post(complaint)

    for district, complaint in (("MH-MUM", mumbai), ("MP-BPL", bhopal), ("WB-KOL", kolkata)):
        alert = pipeline.wait_for_alert(district, complaint["complaint_id"], "cluster_linked")
        assert alert["cluster"]["size"] == 3
        assert alert["cluster"]["districts"] == ["MH-MUM", "MP-BPL", "WB-KOL"]
        steps = {(s["earlier"]["complaint_id"], s["later"]["complaint_id"], s["identifier_type"])
                 for s in alert["cluster"]["path"]}  # fmt: skip
        assert steps == {
            (mumbai["complaint_id"], bhopal["complaint_id"], "phone"),
            (bhopal["complaint_id"], kolkata["complaint_id"], "upi"),
        }
