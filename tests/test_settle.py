"""The settle rule (`clientbridge.settle`), which the ledger and the import share."""

from __future__ import annotations

import pytest

from clientbridge.adapters.base import Capabilities
from clientbridge.settle import (
    SETTLE_MARGIN,
    Action,
    Settling,
    after_not_found,
    settle_window,
    settling,
    unknown_step,
)


def test_the_window_is_the_timeout_plus_the_margin_or_as_given() -> None:
    assert settle_window(timeout=30.0) == 30.0 + SETTLE_MARGIN
    assert settle_window(timeout=30.0, settle_after=0.0) == 0.0
    assert settle_window(timeout=None) > SETTLE_MARGIN


@pytest.mark.parametrize(
    ("capabilities", "by_email", "way"),
    [
        (Capabilities(find_existing=True, unique_email=True), True, Settling.LOOK_UP),
        (Capabilities(unique_email=True), True, Settling.RESEND),
        (Capabilities(unique_email=True), False, Settling.ASK_CALLER),
        (Capabilities(), True, Settling.ASK_CALLER),
    ],
)
def test_how_a_provider_settles_an_unknown_outcome(
    capabilities: Capabilities, by_email: bool, way: Settling
) -> None:
    assert settling(capabilities, resend_by_email=by_email) is way


def test_the_first_step_asks_where_it_can_else_refuses_unless_resent() -> None:
    assert unknown_step(Settling.LOOK_UP, resend=False).action is Action.ASK
    assert unknown_step(Settling.LOOK_UP, resend=True).action is Action.ASK
    assert unknown_step(Settling.ASK_CALLER, resend=False).action is Action.REFUSE
    assert unknown_step(Settling.ASK_CALLER, resend=True).action is Action.SEND
    assert unknown_step(Settling.RESEND, resend=False).action is Action.SEND


def test_not_found_is_trusted_only_after_the_window() -> None:
    inside = after_not_found(attempted_at=100.0, window=40.0, now=130.0, resend=False)
    assert inside.action is Action.WAIT
    assert inside.retry_after == pytest.approx(10.0)
    after = after_not_found(attempted_at=100.0, window=40.0, now=140.0, resend=False)
    assert after.action is Action.SEND
    forced = after_not_found(attempted_at=100.0, window=40.0, now=101.0, resend=True)
    assert forced.action is Action.SEND
