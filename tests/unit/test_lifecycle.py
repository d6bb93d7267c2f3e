"""An inbox alert only moves forward; repeating a move is harmless; moving back conflicts."""

from __future__ import annotations

import pytest

from services.notifier.lifecycle import StatusConflict, may_move


def test_an_alert_moves_forward_and_may_skip_a_step() -> None:
    assert may_move("new", "acknowledged")
    assert may_move("acknowledged", "actioned")
    assert may_move("new", "closed")


def test_asking_for_the_status_it_has_changes_nothing() -> None:
    assert not may_move("acknowledged", "acknowledged")


def test_moving_an_alert_back_is_a_conflict() -> None:
    with pytest.raises(StatusConflict, match="already closed"):
        may_move("closed", "acknowledged")
