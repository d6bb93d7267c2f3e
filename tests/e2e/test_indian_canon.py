"""India's everyday values through the real pipeline: each new type links two districts'
complaints, a phone-derived VPA with an app's suffix links to the phone, and generic values
(a bank's 1600 number, a placeholder IMEI) and helplines are accepted, said so, and link nothing."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

import pytest

from tests.builders import complaint_body, unique_mobile
from tests.e2e.conftest import Pipeline

pytestmark = [pytest.mark.e2e, pytest.mark.integration]


def _letters(n: int) -> str:
    return "".join(random.choices(string.ascii_letters + string.digits, k=n))


def _unique_values() -> list[tuple[str, str, dict[str, str]]]:
    """(type, value, qualifiers) of one fresh value of each new type and form."""
    return [
        ("transaction_ref", f"SBINN{random.randrange(10**10, 10**11)}", {}),
        ("transaction_ref", f"{random.randrange(10**11, 10**12)}", {"ifsc": "HDFC0001234"}),
        ("social", f"https://chat.whatsapp.com/{_letters(22)}", {}),
        ("social", f"https://whatsapp.com/channel/0029{_letters(20)}", {}),
        ("social", f"https://sharechat.com/profile/gang{uuid.uuid4().hex[:8]}", {}),
        ("social", f"https://mojapp.in/@gang{uuid.uuid4().hex[:8]}", {}),
        ("social", f"https://share.myjosh.in/profile/gang{uuid.uuid4().hex[:8]}", {}),
        ("upi", f"paytmqr{uuid.uuid4().hex[:12]}@paytm", {}),
    ]


def complaint(district: str, kind: str, value: str, qualifiers: dict[str, str]) -> dict[str, Any]:
    body = complaint_body(district, (kind, value))
    body["identifiers"][0].update(qualifiers)
    return body


@pytest.mark.parametrize("index", range(len(_unique_values())))
def test_each_new_type_links_complaints_in_two_districts(pipeline: Pipeline, index: int) -> None:
    kind, value, qualifiers = _unique_values()[index]
    mumbai = complaint("MH-MUM", kind, value, qualifiers)
    bhopal = complaint("MP-BPL", kind, value, qualifiers)

    answer = pipeline.post(mumbai)
    pipeline.post(bhopal)

    alert = pipeline.wait_for_alert("MH-MUM", str(bhopal["complaint_id"]), "shared_identifier")
    assert alert["identifier"]["type"] == kind
    merchant = ["upi.merchant"] if kind == "upi" else []
    assert [notice["code"] for notice in answer["notices"]] == merchant


def test_a_vpa_with_an_apps_suffix_links_to_the_phone_it_is_made_of(pipeline: Pipeline) -> None:
    mobile = unique_mobile()
    digits = mobile.replace(" ", "").removeprefix("+91")
    mumbai = complaint_body("MH-MUM", ("upi", f"{digits}-2@ybl"))
    bhopal = complaint_body("MP-BPL", ("phone", mobile))

    pipeline.post(mumbai)
    pipeline.post(bhopal)

    alert = pipeline.wait_for_alert("MP-BPL", str(mumbai["complaint_id"]), "shared_identifier")
    assert alert["identifier"]["type"] == "phone"


def test_generic_values_and_helplines_are_said_so_and_link_nothing(pipeline: Pipeline) -> None:
    flagged = [("phone", "1600-01-8000"), ("imei", "111111111111119"), ("phone", "155260")]
    bodies = [complaint_body(d, *flagged) for d in ("MH-MUM", "MP-BPL", "WB-KOL")]

    answers = [pipeline.post(body) for body in bodies]
    pipeline.wait_until_idle()

    for answer in answers:
        codes = [(n["field"], n["code"]) for n in answer["notices"]]
        assert codes == [
            ("identifiers[0].value", "phone.generic"),
            ("identifiers[1].value", "imei.generic"),
            ("identifiers[2].value", "phone.benign"),
        ]
    ids = {str(body["complaint_id"]) for body in bodies}
    for district in ("MH-MUM", "MP-BPL", "WB-KOL"):
        assert not [c for c in ids if pipeline.alerts_for(district, c)]


def test_a_cgnat_address_links_only_on_the_same_port_in_the_same_minute(
    pipeline: Pipeline,
) -> None:
    address = f"100.{random.randrange(64, 128)}.{random.randrange(256)}.{random.randrange(1, 255)}"

    def seen(district: str, port: int, at: str) -> dict[str, Any]:
        body = complaint_body(district, ("ip", address))
        body["identifiers"][0] |= {"port": port, "observed_at": at}
        return body

    mumbai = seen("MH-MUM", 40123, "2026-11-20T14:02:11+05:30")
    other_port = seen("MP-BPL", 40124, "2026-11-20T14:02:30+05:30")
    same_port = seen("WB-KOL", 40123, "2026-11-20T14:02:50+05:30")

    for body in (mumbai, other_port, same_port):
        assert pipeline.post(body)["notices"] == []
    lead = pipeline.wait_for_alert(
        "MH-MUM", str(same_port["complaint_id"]), "shared_identifier",
        rule="weak_identifier_within_window",
    )  # fmt: skip
    pipeline.wait_until_idle()

    assert lead["identifier"]["type"] == "ip"
    assert str(other_port["complaint_id"]) not in {c["complaint_id"] for c in lead["other_cases"]}
    for district in ("MH-MUM", "MP-BPL", "WB-KOL"):
        assert not pipeline.alerts_for(district, str(other_port["complaint_id"]))
