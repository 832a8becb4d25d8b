"""App Home end to end: an `app_home_opened` event over HTTP, the published view at the
Slack stand-in."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from bot.cases.models import Opened, Signal
from storage import accounts as accounts_store
from tests.conftest import RunningApp, eventually, seed_account
from tests.slack_events import delivered


def open_case(app: RunningApp, external_id: str) -> Opened:
    """A cancellation on a seeded account (routed to its account owner)."""
    with app.services.db.session() as session:
        account = accounts_store.by_external_id(session, external_id)
        assert account is not None
    signal = Signal(kind="cancellation", source="test", summary="bye")
    return app.services.cases.open(account.id, signal)


def home_of(app: RunningApp, user: str, tab: str = "home") -> dict:
    """Open the home tab as `user` and wait for the view the bot publishes."""
    before = app.standin.home_view(user)
    event = {
        "type": "app_home_opened",
        "user": user,
        "channel": f"D{user[1:]}",
        "tab": tab,
        "event_ts": "1700000000.000100",
    }
    assert delivered(app.slack, event).status == 200
    return eventually(lambda: (view := app.standin.home_view(user)) != before and view)


def text_of(view: dict) -> str:
    return json.dumps(view["blocks"])


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme", csm="U0CSM", account_owner="U0AE")
    seed_account(running_app.services, "globex", "Globex", csm="U0CSM2", account_owner="U0AE2")
    return running_app


def test_csm_sees_own_cases_and_follow_ups_not_others(app: RunningApp) -> None:
    mine = open_case(app, "acme")
    open_case(app, "globex")
    view = home_of(app, "U0CSM")
    text = text_of(view)
    assert view["type"] == "home"
    assert f"#{mine.case_id} Acme" in text and "Globex" not in text
    assert "All open cases" not in text
    assert "showing 1 of 1" in text
    assert "Nudge if nobody acknowledges" in text and "Escalation to the managers" in text
    assert "<!date^" in text
    assert "/churn cancel" in text


def test_manager_sees_every_open_case(app: RunningApp) -> None:
    first, second = open_case(app, "acme"), open_case(app, "globex")
    text = text_of(home_of(app, "U0MGR"))
    assert "You have no open cases" in text
    assert "All open cases" in text
    assert f"#{first.case_id} Acme" in text and f"#{second.case_id} Globex" in text
    assert "showing 2 of 2" in text


def test_admin_sees_every_open_case_but_not_closed_ones(app: RunningApp) -> None:
    kept, closed = open_case(app, "acme"), open_case(app, "globex")
    app.services.cases.close(closed.case_id, "U0MGR", "churned")
    text = text_of(home_of(app, "U0ADMIN"))
    assert f"#{kept.case_id} Acme" in text and "Globex" not in text
    assert "showing 1 of 1" in text


def test_user_with_nothing_gets_friendly_empty_states(app: RunningApp) -> None:
    open_case(app, "acme")
    text = text_of(home_of(app, "U0NOBODY"))
    assert "You have no open cases" in text
    assert "No follow-ups are waiting on your cases" in text
    assert "All open cases" not in text and "Acme" not in text


def test_lists_are_capped_and_the_view_stays_under_100_blocks(app: RunningApp) -> None:
    for n in range(25):
        seed_account(app.services, f"c{n:02d}", f"Customer {n:02d}", account_owner="U0MGR")
        app.services.clock.advance(timedelta(minutes=1))
        open_case(app, f"c{n:02d}")
    view = home_of(app, "U0MGR")
    text = text_of(view)
    assert len(view["blocks"]) <= 100
    assert text.count("showing 20 of 25, newest first") == 2  # mine, and all open
    assert "showing 20 of 50, soonest first" in text  # two ladder steps per case
    assert "Customer 24" in text and "Customer 00" not in text.split("All open cases")[1]


def test_reopening_the_tab_refreshes_and_messages_tab_publishes_nothing(app: RunningApp) -> None:
    assert "You have no open cases" in text_of(home_of(app, "U0CSM"))
    open_case(app, "acme")
    assert "Acme" in text_of(home_of(app, "U0CSM"))
    app.standin.clear()
    event = {"type": "app_home_opened", "user": "U0CSM", "channel": "D0CSM", "tab": "messages"}
    assert delivered(app.slack, event).status == 200
    assert delivered(app.slack, {**event, "tab": "home"}).status == 200
    app.standin.wait_for_calls("views.publish", 1)
    assert len(app.standin.calls("views.publish")) == 1


def test_a_reminder_shows_only_to_the_person_who_set_it(app: RunningApp) -> None:
    case = open_case(app, "acme")
    due = app.services.clock.now() + timedelta(hours=2)
    app.services.cases.remind(case.case_id, "U0MGR", due)
    manager = text_of(home_of(app, "U0MGR"))
    assert "Your reminder" in manager and f"#{case.case_id} Acme" in manager
    assert f"<!date^{int(due.timestamp())}^" in manager
    owner = text_of(home_of(app, "U0AE"))
    assert "Your reminder" not in owner
    assert "Check-in if the case stays quiet" in owner  # someone acted: the ladder stopped
