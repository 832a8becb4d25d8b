"""Two check-ins of one save answered at once on PostgreSQL: each answer holds the case row
first, so the second sets `arr_kept` from both answers, not from a copy without the first."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.common.clock import OffsetClock
from tests.checkins.test_checkins import both_asked, checkins, clock, saved_with_an_offer, the_case
from tests.conftest import PG_URL, RunningApp
from tests.interleave import while_held

__all__ = ["clock"]  # the test clock fixture

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="SQLite's one writer never interleaves transactions"
)


def test_two_check_ins_answered_at_once_both_count(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    """The 180-day check-in answered Downgraded to $40,000 while the 90-day one, late, is
    answered Downgraded to $50,000: the save brings in the later checkpoint's $40,000 (the
    90-day answer, holding a copy of the case without the other, would set $50,000)."""
    app = running_app
    saved = saved_with_an_offer(app)
    first, second = both_asked(app, clock)
    assert saved.root_message_id is not None
    service = app.services.checkins

    def later() -> None:
        service.answer(second.id, "U0AE", "downgraded", Decimal(40000))

    def earlier() -> None:
        service.answer(first.id, "U0AE", "downgraded", Decimal(50000))

    while_held(app, saved.root_message_id, later, earlier)
    assert [c.new_arr for c in checkins(app)] == [Decimal(50000), Decimal(40000), None]
    assert the_case(app).arr_kept == Decimal(40000)
