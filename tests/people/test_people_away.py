"""Time off and working hours beyond the core scenarios (docs/hours.md), end to end through
the real Bolt app and the Slack stand-in on an injected clock: `/churn away` with `today`,
`tomorrow` and weekday names in the person's time zone; a dunning-ladder ping and an
approval nudge that wait for the person's working window; a Slack status with an expiry
counting as time off, so a new case goes to the cover."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.hours.commands import Away, parse_away
from bot.hours.days import read_day, resolve_day
from bot.imports.invoices import InvoiceImporter
from bot.policy import Policy, parse_policy
from storage.models import Case, Offer
from storage.tables.hours import TimeOff
from storage.tables.people import SlackUser
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account
from tests.people.zones import lives_in
from tests.slack_events import delivered

HOURS_POLICY = TEST_POLICY.replace('business_hours = ""', 'business_hours = "09:00-17:00"')
STATUS_POLICY = HOURS_POLICY + '\n[people]\naway_statuses = [":palm_tree:"]\n'
MONDAY = datetime(2027, 1, 4, 15, 0, tzinfo=UTC)  # Monday 10:00 New York, Tuesday 04:00 Auckland


@pytest.fixture
def policy(request: pytest.FixtureRequest) -> Policy:
    return parse_policy(getattr(request, "param", HOURS_POLICY), "test-policy.toml")


def dms(app: RunningApp, user: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(f"D{user[1:]}")]


def command(app: RunningApp, text: str, user: str) -> str:
    """Type `/churn …` and return the ephemeral answer (in the acknowledgement, or after)."""
    seen = len(app.standin.responses())
    answer = app.slack.slash_command(text, user_id=user)
    assert answer.status == 200
    acked = answer.json().get("text", "") if answer.body else ""
    return acked or eventually(lambda: app.standin.responses()[seen:])[-1]["text"]


def time_offs(app: RunningApp, user: str) -> list[TimeOff]:
    with app.services.db.read() as session:
        stmt = select(TimeOff).where(TimeOff.user_id == user).order_by(TimeOff.id)
        return list(session.scalars(stmt))


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


# -- `/churn away` with words ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("today", "today"),
        ("Tomorrow", "tomorrow"),
        ("fri", "fri"),
        ("Friday", "fri"),
        ("thurs", "thu"),
        ("2026-12-21", date(2026, 12, 21)),
        ("fryday", None),
        ("mo", None),
        ("someday", None),
    ],
)
def test_day_words_are_read(text: str, expected: object) -> None:
    assert read_day(text) == expected


def test_weekdays_resolve_on_or_after_today_and_the_first_day() -> None:
    wednesday = date(2027, 1, 6)
    assert resolve_day("today", wednesday) == wednesday
    assert resolve_day("tomorrow", wednesday) == date(2027, 1, 7)
    assert resolve_day("wed", wednesday) == wednesday  # today is a Wednesday
    assert resolve_day("fri", wednesday) == date(2027, 1, 8)
    assert resolve_day("mon", wednesday, on_or_after=date(2027, 1, 8)) == date(2027, 1, 11)
    with pytest.raises(ValueError):
        resolve_day("someday", wednesday)


def test_away_command_parses_words_and_refuses_others() -> None:
    assert parse_away("today fri cover <@U0SAVE2>") == Away("today", "fri", "U0SAVE2")
    assert parse_away("tomorrow 2027-01-08") == Away("tomorrow", date(2027, 1, 8))
    assert "weekday" in str(parse_away("today someday"))


def test_away_today_to_friday_is_read_in_the_persons_time_zone(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    lives_in(app, "U0AE")
    clock.set(MONDAY)  # still Monday in New York, already Tuesday in Auckland
    answer = command(app, "away today fri cover <@U0SAVE2|sam>", "U0AE")
    assert "covered by <@U0SAVE2>" in answer
    (off,) = time_offs(app, "U0AE")
    auckland = ZoneInfo("Pacific/Auckland")
    ends = off.ends_at.replace(tzinfo=UTC).astimezone(auckland)
    assert ends == datetime(2027, 1, 9, 0, 0, tzinfo=auckland)  # the end of Friday there
    assert off.starts_at.replace(tzinfo=UTC) == MONDAY  # from now: today has begun

    backwards = command(app, "away fri tomorrow", "U0AE")
    assert "must end on or after" in backwards  # Wednesday comes before Friday
    assert "YYYY-MM-DD" in command(app, "away today someday", "U0AE")


# -- deferred to the person's working window ---------------------------------------------


def test_a_dunning_ladder_ping_waits_for_the_controllers_morning(
    running_app: RunningApp, clock: FakeClock, tmp_path: Path
) -> None:
    app = running_app
    lives_in(app, "U0CTRL")
    clock.set(MONDAY)  # 04:00 on Tuesday in Auckland
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    path = tmp_path / "invoices.csv"
    due = (MONDAY.astimezone(ZoneInfo("America/New_York")).date() - timedelta(days=61)).isoformat()
    path.write_text(
        f"invoice_id,account,amount,currency,due_date,status\nINV-61,acme,2000,USD,{due},open"
    )
    services = app.services
    InvoiceImporter(services.db, services.clock, services.policy.dunning.steps).run(path)
    app.tick()
    finance = [m["text"] for m in app.standin.messages("C0FINANCE")]
    assert len(finance) == 1 and "INV-61" in finance[0]  # the channel hears it at once
    assert dms(app, "U0CTRL") == []  # not at 04:00 in Auckland
    clock.set(datetime(2027, 1, 4, 19, 59, tzinfo=UTC))  # 08:59 in Auckland
    app.tick()
    assert dms(app, "U0CTRL") == []
    clock.set(datetime(2027, 1, 4, 20, 1, tzinfo=UTC))  # 09:01 in Auckland
    app.tick()
    (ping,) = dms(app, "U0CTRL")
    assert "INV-61" in ping and "61 days past due" in ping
    app.tick()
    assert len(dms(app, "U0CTRL")) == 1
    assert len(app.standin.messages("C0FINANCE")) == 1  # no second channel line


def test_an_approval_nudge_waits_for_the_approvers_morning(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    lives_in(app, "U0MGR", "Asia/Tokyo")
    clock.set(MONDAY)  # Tuesday 00:00 in Tokyo
    account = seed_account(app.services, "acme", "Acme Corp")
    app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    app.tick()
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": "20000"}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": "30"}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": "budget freeze"},
        "tried": {"tried": ""},
    }
    meta = json.dumps({"case_id": 1})
    submit = app.slack.view_submission(
        "case_offer_view", values, user_id="U0AE", private_metadata=meta
    )
    assert app.slack.interactive(submit).status == 200
    eventually(lambda: _offer_pending(app))

    def waiting() -> list[str]:
        return [t for t in dms(app, "U0MGR") if "waiting for a decision" in t]

    clock.set(MONDAY + timedelta(hours=4, minutes=1))  # the nudge is due: 04:01 in Tokyo
    app.tick()
    assert waiting() == []
    clock.set(datetime(2027, 1, 4, 23, 59, tzinfo=UTC))  # 08:59 in Tokyo
    app.tick()
    assert waiting() == []
    clock.set(datetime(2027, 1, 5, 0, 1, tzinfo=UTC))  # 09:01 in Tokyo
    app.tick()
    assert len(waiting()) == 1


def _offer_pending(app: RunningApp) -> bool:
    with app.services.db.read() as session:
        offer = session.scalars(select(Offer)).first()
        return offer is not None and offer.status == "pending"


# -- a Slack status as time off ----------------------------------------------------------


def _status(app: RunningApp, user: str, emoji: str, until: datetime | None) -> None:
    """A `user_change` event, handled before the next one is sent (Bolt handles events on
    threads after acknowledging them, so two sent at once may be handled in either order)."""
    expires = int(until.timestamp()) if until else 0
    profile = {"status_emoji": emoji, "status_expiration": expires}
    changed = app.standin.change_user(user, profile=profile)
    assert delivered(app.slack, {"type": "user_change", "user": changed}).status == 200

    def stored() -> bool:
        with app.services.db.read() as session:
            row = session.get(SlackUser, user)
            return row is not None and (row.status_emoji or "", row.status_expiration or 0) == (
                emoji,
                expires,
            )

    eventually(stored)


@pytest.mark.parametrize("policy", [STATUS_POLICY], indirect=True)
def test_a_status_with_no_expiry_is_not_time_off(running_app: RunningApp, clock: FakeClock) -> None:
    """Nobody can say when they are back: the status alone does not send cases away."""
    app = running_app
    clock.set(MONDAY)
    _status(app, "U0AE", ":palm_tree:", None)
    app.tick()
    assert time_offs(app, "U0AE") == []


@pytest.mark.parametrize("policy", [STATUS_POLICY], indirect=True)
def test_a_palm_tree_status_with_an_expiry_sends_new_cases_to_the_cover(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    clock.set(MONDAY)
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    seed_account(app.services, "globex", "Globex", account_owner="U0AE")
    seed_account(app.services, "initech", "Initech", account_owner="U0AE")

    _status(app, "U0AE", ":palm_tree:", MONDAY + timedelta(days=3))
    off = eventually(lambda: time_offs(app, "U0AE"))[-1]
    assert (off.source, off.ends_at.replace(tzinfo=UTC)) == ("status", MONDAY + timedelta(days=3))
    assert len(time_offs(app, "U0AE")) == 1
    app.tick()

    command(app, "cancel acme leaving", "U0CSM")
    case = eventually(lambda: cases(app) and cases(app)[0])
    assert case.owner in {"U0SAVE1", "U0SAVE2", "U0SAVE3"}  # the save desk covers
    app.tick()
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert any("<@U0AE> is away until" in t and f"<@{case.owner}>" in t for t in thread)

    _status(app, "U0AE", "", None)  # cleared: back now, the case is handed back
    eventually(lambda: time_offs(app, "U0AE")[-1].ends_at.replace(tzinfo=UTC) <= clock.now())
    app.tick()
    assert cases(app)[0].owner == "U0AE"
    command(app, "cancel globex leaving", "U0CSM")
    eventually(lambda: len(cases(app)) == 2)
    assert cases(app)[1].owner == "U0AE"

    _status(app, "U0AE", ":sunglasses:", MONDAY + timedelta(days=3))  # not an away status
    command(app, "cancel initech leaving", "U0CSM")
    eventually(lambda: len(cases(app)) == 3)
    assert cases(app)[2].owner == "U0AE"


def test_the_new_owner_dm_does_not_wait_for_working_hours(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """docs/hours.md: "You own a new case" says what happened, so it goes at once (the
    nudges after it wait)."""
    app = running_app
    lives_in(app, "U0AE")
    clock.set(MONDAY)  # 04:00 in Auckland
    seed_account(app.services, "acme", "Acme Corp", account_owner="U0AE")
    command(app, "cancel acme leaving", "U0CSM")
    eventually(lambda: cases(app))
    app.tick()
    (dm,) = dms(app, "U0AE")
    assert dm.startswith(":rotating_light: You own a new case")
