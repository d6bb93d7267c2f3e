"""What an officer may send to move an alert on in the inbox."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.api import NOTE_MAX_LENGTH, InboxStatusChange


def test_acknowledging_needs_no_note() -> None:
    assert InboxStatusChange(status="acknowledged").note is None


@pytest.mark.parametrize("status", ["actioned", "closed"])
def test_actioned_and_closed_need_a_note(status: str) -> None:
    with pytest.raises(ValidationError, match="a note saying what was done"):
        InboxStatusChange.model_validate({"status": status})
    with pytest.raises(ValidationError, match="at least 1 character"):
        InboxStatusChange.model_validate({"status": status, "note": "   "})


def test_a_note_has_a_bounded_length() -> None:
    with pytest.raises(ValidationError, match="at most"):
        InboxStatusChange(status="closed", note="x" * (NOTE_MAX_LENGTH + 1))


def test_other_statuses_and_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        InboxStatusChange.model_validate({"status": "new"})
    with pytest.raises(ValidationError):
        InboxStatusChange.model_validate({"status": "acknowledged", "district": "MH-MUM"})
