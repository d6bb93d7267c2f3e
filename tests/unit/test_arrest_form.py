"""The console's arrest form read as the API's body: blank fields left out, the datetime-local
fields read as IST, the seized rows that were filled in, and field names as the form has them."""

from __future__ import annotations

from datetime import datetime

from schemas.api import ArrestRelayed
from services.notifier.console.arrests import IST, _body, _field


def test_the_form_becomes_the_apis_body_with_times_in_ist() -> None:
    form = {"arrest_id": "JH-1", "police_station": "Cyber PS", "arrested_at": "2026-11-28T06:30",
            "status": "on_bail", "status_since": "", "accused": "2", "held_at": "",
            "contact_name": "SI A. Soren", "contact_phone": "9431100001",
            "seized_type_0": "phone", "seized_value_0": "9431177001",
            "seized_type_1": "upi", "seized_value_1": "",
            "seized_type_2": "upi", "seized_value_2": "boss@ybl"}  # fmt: skip

    arrest = ArrestRelayed.model_validate(_body(form, "JH-JAM", "officer:soren"))

    assert arrest.arrested_at == datetime(2026, 11, 28, 6, 30, tzinfo=IST)
    assert (arrest.status_since, arrest.held_at, arrest.accused) == (None, None, 2)
    assert [(s.type.value, s.value) for s in arrest.seized] == [
        ("phone", "9431177001"),
        ("upi", "boss@ybl"),
    ]
    assert (arrest.district, arrest.recorded_by) == ("JH-JAM", "officer:soren")


def test_a_field_is_named_as_the_form_and_the_api_name_it() -> None:
    assert _field(("seized", 0, "value")) == "seized[0].value"
    assert _field(("accused",)) == "accused"
    assert _field(()) == "form"
