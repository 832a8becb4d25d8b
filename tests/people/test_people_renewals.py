"""The pre-renewal question ("OK to send the renewal invoice?", docs/dunning.md) reaches the
CSM inside their own working hours (docs/hours.md), on the test clock through the real
Bolt app and the Slack stand-in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.common.clock import FakeClock
from tests.conftest import RunningApp, seed_account
from tests.finance.test_renewals import checks, dms, renewing_in
from tests.people.test_people_away import policy
from tests.people.zones import lives_in

__all__ = ["policy"]  # business hours 09:00-17:00, each person in their own time zone

NIGHT_IN_AUCKLAND = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Tuesday 04:00 there
MORNING_IN_AUCKLAND = datetime(2027, 1, 4, 20, 1, tzinfo=UTC)  # Tuesday 09:01 there


def test_the_renewal_question_waits_for_the_csms_morning(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """Before, it went on the first run of the day, 04:00 in Auckland."""
    app = running_app
    lives_in(app, "U0CSM")
    clock.set(NIGHT_IN_AUCKLAND)
    renews = date.fromisoformat(renewing_in(app, 60))
    seed_account(app.services, "acme", "Acme", renewal_date=renews)
    app.tick()
    assert dms(app, "U0CSM") == [] and checks(app) == []
    clock.set(MORNING_IN_AUCKLAND - timedelta(minutes=2))
    app.tick()
    assert dms(app, "U0CSM") == []
    clock.set(MORNING_IN_AUCKLAND)
    app.tick()
    (asked,) = dms(app, "U0CSM")
    assert "OK to send the renewal invoice for *Acme*" in asked
