"""Working hours and time off on App Home (docs/hours.md), end to end over HTTP through the
real Bolt app and the Slack stand-in: open the Home tab, press a button, submit the modal,
see the stored change and the Home published again."""

from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.policy import Policy, parse_policy
from storage import hours as hours_store
from storage.tables.hours import TimeOff
from tests.conftest import TEST_POLICY, RunningApp, eventually
from tests.slack_events import delivered

POLICY = TEST_POLICY.replace('business_hours = ""', 'business_hours = "09:00-17:00"')
ME = "U0AE"


@pytest.fixture
def policy() -> Policy:
    return parse_policy(POLICY, "test-policy.toml")


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    running_app.standin.add_user(ME, tz="Pacific/Auckland")
    running_app.standin.add_user("U0EXT", team_id="T0OTHER")
    running_app.standin.add_user("U0GONE", deleted=True)
    return running_app


def open_home(app: RunningApp, user: str = ME) -> dict:
    """Open the Home tab and wait for the view the bot publishes."""
    before = app.standin.home_view(user)
    event = {"type": "app_home_opened", "user": user, "channel": f"D{user[1:]}", "tab": "home"}
    assert delivered(app.slack, event).status == 200
    return eventually(lambda: (view := app.standin.home_view(user)) != before and view)


def republished(app: RunningApp, before: dict, user: str = ME) -> str:
    """The Home's blocks as text once the bot has published it again after `before`."""
    view = eventually(
        lambda: (v := app.standin.home_view(user)) and v["hash"] != before["hash"] and v
    )
    return json.dumps(view["blocks"])


def press(app: RunningApp, home: dict, action: str, value: str | None = None, user: str = ME):
    """Press a button on the Home tab (a trigger the stand-in issued, as Slack would)."""
    payload = app.slack.block_action(
        action, value, user_id=user, view=home, trigger_id=app.standin.new_trigger_id(user)
    )
    assert app.slack.interactive(payload).status == 200


def opened(app: RunningApp, count: int) -> dict:
    app.standin.wait_for_calls("views.open", count)
    return app.standin.calls("views.open")[count - 1].args["view"]


def submit(app: RunningApp, callback: str, state: dict, user: str = ME) -> dict:
    payload = app.slack.view_submission(callback, state, user_id=user)
    answer = app.slack.interactive(payload)
    assert answer.status == 200
    return answer.json() if answer.body else {}


def hours_state(start: str, end: str, days: list[int]) -> dict:
    chosen = [{"value": str(d)} for d in days]
    return {
        "start": {"start": {"type": "timepicker", "selected_time": start}},
        "end": {"end": {"type": "timepicker", "selected_time": end}},
        "days": {"days": {"type": "checkboxes", "selected_options": chosen}},
    }


def away_state(first: str, last: str, cover: str | None = None) -> dict:
    return {
        "first": {"first": {"type": "datepicker", "selected_date": first}},
        "last": {"last": {"type": "datepicker", "selected_date": last}},
        "cover": {"cover": {"type": "users_select", "selected_user": cover}},
    }


def blocks_of(view: dict) -> str:
    return json.dumps(view["blocks"])


def test_hours_are_shown_changed_in_a_modal_and_reset(app: RunningApp) -> None:
    home = open_home(app)
    text = blocks_of(home)
    assert "Your working hours and time off" in text
    assert "09:00-17:00 mon-fri* in Pacific/Auckland (the policy's business hours)" in text
    assert "No time off planned." in text and "hours_reset" not in text

    press(app, home, "hours_edit")
    modal = opened(app, 1)
    assert modal["callback_id"] == "hours_edit_view"
    start = modal["blocks"][0]["element"]
    days = modal["blocks"][2]["element"]
    assert (start["type"], start["initial_time"]) == ("timepicker", "09:00")
    assert [o["value"] for o in days["initial_options"]] == ["0", "1", "2", "3", "4"]
    assert "Pacific/Auckland" in blocks_of(modal)

    wrong = submit(app, "hours_edit_view", hours_state("17:00", "09:00", [0]))
    assert wrong["response_action"] == "errors" and "end" in wrong["errors"]
    no_days = submit(app, "hours_edit_view", hours_state("08:00", "16:00", []))
    assert set(no_days["errors"]) == {"days"}
    assert app.services.hours.view(ME).own is False  # nothing stored

    assert submit(app, "hours_edit_view", hours_state("08:00", "16:00", [0, 1, 2, 3])) == {}
    text = republished(app, home)
    assert "08:00-16:00 mon-thu* in Pacific/Auckland (your own)" in text
    with app.services.db.read() as session:
        row = hours_store.hours_of(session, [ME])[ME]
        assert (row.window, sorted(row.days)) == ("08:00-16:00", [0, 1, 2, 3])

    home = app.standin.home_view(ME)
    press(app, home, "hours_reset")
    assert "09:00-17:00 mon-fri* in Pacific/Auckland (the policy's" in republished(app, home)
    assert app.services.hours.view(ME).own is False


def test_time_off_is_added_with_a_cover_and_ended(app: RunningApp) -> None:
    home = open_home(app)
    today = app.services.clock.now().astimezone(ZoneInfo("Pacific/Auckland")).date()
    press(app, home, "away_add")
    modal = opened(app, 1)
    assert modal["callback_id"] == "away_edit_view"
    assert modal["blocks"][0]["element"]["initial_date"] == today.isoformat()
    assert modal["blocks"][2]["element"]["type"] == "users_select"

    first, last = today + timedelta(days=3), today + timedelta(days=9)
    backwards = submit(app, "away_edit_view", away_state(str(last), str(first)))
    assert set(backwards["errors"]) == {"last"}
    myself = submit(app, "away_edit_view", away_state(str(first), str(last), ME))
    assert "someone else" in myself["errors"]["cover"]
    stranger = submit(app, "away_edit_view", away_state(str(first), str(last), "U0EXT"))
    assert set(stranger["errors"]) == {"cover"}
    gone = submit(app, "away_edit_view", away_state(str(first), str(last), "U0GONE"))
    assert set(gone["errors"]) == {"cover"}
    missing = submit(app, "away_edit_view", away_state("", str(last)))
    assert set(missing["errors"]) == {"first"}
    assert not app.services.hours.view(ME).away  # nothing stored

    assert submit(app, "away_edit_view", away_state(str(first), str(last), "U0SAVE2")) == {}
    text = republished(app, home)
    assert ":palm_tree: Away from" in text and "covered by <@U0SAVE2>" in text
    assert "No time off planned." not in text
    (off,) = app.services.hours.view(ME).away
    with app.services.db.read() as session:
        row = session.get(TimeOff, off.id)
        assert row is not None and (row.source, row.cover, row.state) == (
            "home",
            "U0SAVE2",
            "planned",
        )
    local = row.starts_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo("Pacific/Auckland"))
    assert (local.date(), local.hour) == (first, 0)  # from the start of the first local day

    home = app.standin.home_view(ME)
    press(app, home, "away_end", str(off.id))
    assert "No time off planned." in republished(app, home)
    with app.services.db.read() as session:
        row = session.get(TimeOff, off.id)
        assert row is not None and row.state == "cancelled"


def test_someone_else_cannot_end_my_time_off_from_their_home(app: RunningApp) -> None:
    off = app.services.hours.set_away(ME, "tomorrow", "tomorrow", None, set_by=ME, source="home")
    home = open_home(app, "U0CSM")
    press(app, home, "away_end", str(off.id), user="U0CSM")  # not theirs: nothing ends
    republished(app, home, "U0CSM")
    with app.services.db.read() as session:
        row = session.get(TimeOff, off.id)
        assert row is not None and row.state == "planned"


@pytest.mark.parametrize("user", ["U0EXT", "U0GONE"])
def test_external_and_deactivated_people_are_refused(app: RunningApp, user: str) -> None:
    home = open_home(app, user)
    assert "Your working hours and time off" not in blocks_of(home)
    press(app, home, "hours_edit", user=user)
    refusal = opened(app, 1)
    assert ":no_entry: Savedesk answers members of this workspace only" in blocks_of(refusal)
    answer = submit(app, "hours_edit_view", hours_state("08:00", "16:00", [0]), user=user)
    assert answer["response_action"] == "errors" and "start" in answer["errors"]
    answer = submit(app, "away_edit_view", away_state("2030-01-01", "2030-01-02"), user=user)
    assert answer["response_action"] == "errors" and "first" in answer["errors"]
    assert not app.services.hours.view(user).away
