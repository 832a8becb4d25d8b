"""Did the save last? (docs/reports.md, *Did the save last?*) End to end on the test clock: a save
schedules its check-ins, 90 days pass (the clock file is written), the owner answers in
Slack, or Stripe answers by itself; reopening withdraws what is unanswered."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from bot.cases.models import Signal
from bot.checkins.service import kept_after
from bot.common.clock import OffsetClock, write_offset
from bot.policy import parse_policy
from bot.reports.export import write_csv
from bot.reports.figures import compute
from bot.reports.models import Report
from bot.reports.words import as_text
from slack_edge.case_messages import CaseAction
from slack_edge.offer_messages import OfferAction
from slack_edge.report_messages import home_report_blocks, report_post
from storage.db import Database
from storage.models import Base, Case, CaseEvent, Offer, SaveCheckin, StripeSubscription
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account
from tests.offers.test_offers import propose


@pytest.fixture
def clock(tmp_path: Path) -> Iterator[OffsetClock]:
    """The test clock: real time plus the seconds in a file the test writes."""
    write_offset(tmp_path / "clock", timedelta(0))
    yield OffsetClock(file=tmp_path / "clock")


def days_pass(clock: OffsetClock, days: float) -> None:
    assert clock.file is not None
    write_offset(clock.file, clock.offset + timedelta(days=days))


def press(app: RunningApp, action: str, value: int, user: str, channel: str = "C0CASES") -> None:
    payload = app.slack.block_action(
        action, str(value), user_id=user, channel_id=channel, message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def checkins(app: RunningApp) -> list[SaveCheckin]:
    with app.services.db.read() as session:
        return list(session.scalars(select(SaveCheckin).order_by(SaveCheckin.due_at)))


def the_case(app: RunningApp) -> Case:
    with app.services.db.read() as session:
        case = session.scalars(select(Case)).first()
        assert case is not None
        return case


def saved_with_an_offer(app: RunningApp) -> Case:
    """Acme ($60,000 ARR) opened, a $2,000 offer applied within policy and accepted, saved:
    every step through Slack."""
    account = seed_account(app.services, "acme", "Acme Corp")
    app.services.cases.open(account, Signal(kind="cancellation", source="test"))
    app.tick()
    assert propose(app, value="2000", pct="5") == {}
    with app.services.db.read() as session:
        offer = eventually(lambda: session.scalars(select(Offer)).first())
    press(app, OfferAction.ACCEPTED.value, offer.id, "U0AE")
    eventually(lambda: _outcome(app) == "accepted")  # before saved: its cost is counted
    case = the_case(app)
    press(app, CaseAction.SAVED.value, case.id, "U0AE")
    eventually(lambda: the_case(app).status == "saved")
    app.tick()
    return the_case(app)


def both_asked(app: RunningApp, clock: OffsetClock) -> tuple[SaveCheckin, SaveCheckin]:
    """A save 180 days on: its 90-day and 180-day check-ins both asked, neither answered."""
    days_pass(clock, 90.01)
    app.tick()
    days_pass(clock, 90)
    app.tick()
    first, second, _ = checkins(app)
    assert (first.state, second.state) == ("asked", "asked")
    return first, second


def _outcome(app: RunningApp) -> str | None:
    with app.services.db.read() as session:
        return session.scalar(select(Offer.outcome))


def dms(app: RunningApp, user: str) -> list[dict]:
    """The check-in questions `user` was sent."""
    return [m for m in app.standin.messages(f"D{user[1:]}") if "check-in" in m["text"]]


def test_a_save_is_checked_at_90_days_and_the_owner_answers_churned(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    case = saved_with_an_offer(app)
    assert (case.arr_saved, case.offer_cost, case.arr_kept) == (Decimal(60000), 2000, None)
    points = checkins(app)
    assert [c.checkpoint for c in points] == ["90", "180", "365"]  # no renewal date
    assert [c.due_at - case.closed_at for c in points] == [
        timedelta(days=90),
        timedelta(days=180),
        timedelta(days=365),
    ]
    days_pass(clock, 89)
    app.tick()
    assert dms(app, "U0AE") == [] and checkins(app)[0].state == "pending"
    days_pass(clock, 1.01)  # 90 days after the save
    app.tick()
    (question,) = dms(app, "U0AE")
    assert "is *Acme Corp* still a customer?" in question["text"]
    assert "90-day check-in" in question["text"] and "$60,000" in question["text"]
    buttons = json.dumps(question["blocks"])
    assert "Still a customer" in buttons and "Churned" in buttons and "Downgraded" in buttons
    first = checkins(app)[0]
    assert (first.state, first.asked_to) == ("asked", "U0AE")

    press(app, "checkin_churned", first.id, "U0STRANGER", "D0AE")
    assert "Only the person asked" in app.standin.wait_for_responses(1)[-1]["text"]
    press(app, "checkin_churned", first.id, "U0AE", "D0AE")
    eventually(lambda: checkins(app)[0].state == "answered")
    assert [(c.answer, c.answered_by) for c in checkins(app)] == [("churned", "U0AE")] * 3
    assert the_case(app).arr_kept == 0
    press(app, "checkin_customer", first.id, "U0MGR", "D0AE")  # the first answer stands
    assert "already answered by <@U0AE>" in app.standin.wait_for_responses(2)[-1]["text"]
    app.tick()
    edits = [c.args for c in app.standin.calls("chat.update") if c.args["channel"] == "D0AE"]
    assert edits[-1]["text"] == ("<@U0AE> answered the 90-day check-in: *Acme Corp* churned.")
    assert "checkin_churned" not in json.dumps(edits[-1]["blocks"])
    thread = [m["text"] for m in app.standin.messages("C0CASES")]
    assert "<@U0AE> answered the 90-day check-in: *Acme Corp* churned." in thread
    days_pass(clock, 300)
    app.tick()
    assert len(dms(app, "U0AE")) == 1  # the later check-ins were answered by the churn


def test_stripe_answers_the_check_in_by_itself(running_app: RunningApp, clock: OffsetClock) -> None:
    app = running_app
    case = saved_with_an_offer(app)
    with app.services.db.session() as session:
        session.add(
            StripeSubscription(
                subscription_id="sub_acme",
                account_id=case.account_id,
                status="active",
                arr=Decimal(60000),
                currency="USD",
                last_event_at=clock.now(),
                created_at=clock.now(),
                updated_at=clock.now(),
            )
        )
    days_pass(clock, 90.01)
    app.tick()
    assert dms(app, "U0AE") == []  # nobody is asked
    first = checkins(app)[0]
    assert (first.state, first.answer, first.answered_by) == ("answered", "customer", "stripe")
    with app.services.db.read() as session:
        line = session.scalars(
            select(CaseEvent.text).where(CaseEvent.type == "checkin_answered")
        ).one()
    assert line.startswith("Stripe answered the 90-day check-in: *Acme Corp* is still a customer")
    assert "(subscription sub_acme active past" in line
    assert the_case(app).arr_kept is None
    with app.services.db.session() as session:  # the subscription now ends before day 180
        sub = session.scalars(select(StripeSubscription)).one()
        sub.cancel_at = case.closed_at + timedelta(days=150)
    days_pass(clock, 90)
    app.tick()
    assert len(dms(app, "U0AE")) == 1, "Stripe cannot answer for day 180: the owner is asked"
    assert checkins(app)[1].state == "asked"


def test_downgraded_takes_the_new_arr_in_a_modal_and_a_reopen_withdraws(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    case = saved_with_an_offer(app)
    days_pass(clock, 90.01)
    app.tick()
    first = checkins(app)[0]
    press(app, "checkin_downgraded", first.id, "U0AE", "D0AE")
    modal = eventually(lambda: [v for v in app.standin.views() if v.get("type") == "modal"])[-1]
    assert modal["callback_id"] == "checkin_downgrade_view" and "$60,000" in json.dumps(modal)

    def submit(typed: str) -> dict:
        payload = app.slack.view_submission(
            "checkin_downgrade_view",
            {"new_arr": {"new_arr": typed}},
            user_id="U0AE",
            private_metadata=json.dumps({"v": 1, "checkin_id": first.id}),
        )
        reply = app.slack.interactive(payload)
        return reply.json() if reply.body else {}

    assert submit("lots")["errors"]["new_arr"]
    for nothing in ("0", "0.004"):  # nothing left (to the cent) is a churn, not a downgrade
        assert "A downgrade to nothing is a churn" in submit(nothing)["errors"]["new_arr"]
    assert checkins(app)[0].state == "asked"
    assert "is not less than the ARR saved ($60,000)" in submit("60000")["errors"]["new_arr"]
    assert submit("40,000") == {}
    assert [(c.answer, c.new_arr) for c in checkins(app)][:2] == [
        ("downgraded", Decimal(40000)),
        (None, None),
    ]
    assert the_case(app).arr_kept == Decimal(40000)
    press(app, CaseAction.REOPEN.value, case.id, "U0AE")
    eventually(lambda: the_case(app).status != "saved")
    assert [c.state for c in checkins(app)] == ["answered", "withdrawn", "withdrawn"]
    assert the_case(app).arr_kept is None
    days_pass(clock, 100)
    app.tick()
    assert len(dms(app, "U0AE")) == 1


def test_the_renewal_date_is_a_checkpoint_and_the_policy_sets_the_days() -> None:
    policy = parse_policy(TEST_POLICY + '[reports]\nsave_checkpoints = [30, "renewal"]\n')
    assert policy.reports.save_checkpoints == (30, "renewal")
    assert policy.reports.checkpoint_days == (30,)
    assert "Save check-ins: 30 days, the renewal date" in policy.describe()
    assert "Save check-ins: 90 days, 180 days, 365 days, the renewal date" in (
        parse_policy(TEST_POLICY).describe()
    )
    assert (
        "Save check-ins: off"
        in parse_policy(TEST_POLICY + "[reports]\nsave_checkpoints = []\n").describe()
    )
    for bad in ("[0]", '["soon"]', "[30, 30]", "30"):
        with pytest.raises(ValueError, match=r"reports\.save_checkpoints"):
            parse_policy(TEST_POLICY + f"[reports]\nsave_checkpoints = {bad}\n")


def test_the_migration_matches_the_models(db_url: str) -> None:
    db = Database(db_url)
    try:
        db.migrate()
        with db.engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        names = ("save_checkins", "arr_kept", "outcome_at")
        ours = [d for d in diffs if any(n in repr(d) for n in names)]
        assert ours == []
    finally:
        db.dispose()


def test_renewal_checkpoint_due_at_nine_local(running_app: RunningApp) -> None:
    services = running_app.services
    from datetime import date

    from storage.models import Account

    account = Account(external_id="x", name="X", renewal_date=date(2031, 3, 2))
    saved_at = datetime(2030, 1, 1, 12, tzinfo=UTC)
    due = dict(services.checkins.due_times(saved_at, account))
    assert due["renewal"] == datetime(2031, 3, 2, 14, tzinfo=UTC)  # 9:00 in New York
    assert due["90"] == saved_at + timedelta(days=90)


def report_at(app: RunningApp, period: str, now: datetime) -> Report:
    with app.services.db.read() as session:
        return compute(session, app.services.policy, period, now)


def test_saves_that_lasted_and_the_net_figure_change_exactly_when_the_owner_says_churned(
    running_app: RunningApp, clock: OffsetClock, tmp_path: Path
) -> None:
    """A $60,000 save with a $2,000 concession; 90 days later the owner answers Churned:
    the 90-day line goes from 1 unanswered to 1 churned, the save's week goes from $58,000
    net to -$2,000, in the report's words, the Slack post, App Home and the CSV."""
    app = running_app
    case = saved_with_an_offer(app)
    saved_week = case.closed_at + timedelta(hours=1)
    before = report_at(app, "week", saved_week)
    assert (before.overall.arr_saved, before.arr_kept, before.concessions) == (
        Decimal(60000),
        Decimal(60000),
        Decimal(2000),
    )
    assert before.net_saved == Decimal(58000)
    assert round(before.cost_per_dollar or 0, 4) == Decimal("0.0333")
    text = as_text(before)
    assert (
        "ARR saved net of concessions: $58,000 ($60,000 the saves still bring in, less $2,000 "
        "of concessions); concessions cost $0.03 per dollar saved" in text
    )
    assert "Saves that lasted: 90 days: no save in the 7 days that ended then" in text

    days_pass(clock, 90.01)
    app.tick()
    asked = report_at(app, "week", clock.now())
    assert asked.lasted is not None
    assert [(c.days, c.saves, c.still, c.churned, c.unanswered) for c in asked.lasted] == [
        (90, 1, 0, 0, 1),
        (180, 0, 0, 0, 0),
        (365, 0, 0, 0, 0),
    ]
    press(app, "checkin_churned", checkins(app)[0].id, "U0AE", "D0AE")
    eventually(lambda: checkins(app)[0].state == "answered")

    after = report_at(app, "week", clock.now())
    assert after.lasted is not None
    line = after.lasted[0]
    assert (line.saves, line.arr_saved, line.still, line.arr_still) == (1, 60000, 0, 0)
    assert (line.churned, line.arr_churned, line.unanswered, line.concessions) == (
        1,
        Decimal(60000),
        0,
        Decimal(2000),
    )
    assert (
        "Saves that lasted: 90 days: of 1 save worth $60,000 (7 days that ended 90 days ago), "
        "0 still customers worth $0 now, 1 churned (before: 0 of 0 still); 180 days: no save"
        in as_text(after)
    )
    again = report_at(app, "week", saved_week)  # the save's week, reported again
    assert (again.overall.arr_saved, again.arr_kept, again.net_saved) == (
        Decimal(60000),
        Decimal(0),
        Decimal(-2000),
    )
    assert "ARR saved net of concessions: -$2,000 ($0 the saves" in as_text(again)

    _, blocks = report_post(after)
    assert "*Saves that lasted*: 90 days: of 1 save" in json.dumps(blocks)
    home = json.dumps([b.to_dict() for b in home_report_blocks(after, None, "")])
    assert "*ARR saved net of concessions*" in home and "*Saves that lasted*" in home

    path = tmp_path / "report.csv"
    write_csv(app.services.db, app.services.policy, after, path)
    rows = [r for r in csv.DictReader(path.open()) if r["figure"] == "saved_90_days_ago"]
    assert [(r["case_id"], r["checkin_answer"], r["arr_now"], r["offer_cost"]) for r in rows] == [
        (str(case.id), "churned", "0.00", "2000.00")
    ]


def test_an_earlier_check_in_answered_late_never_overrides_a_later_one(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    """The 90-day question left unanswered, the 180-day one answered Churned; the owner then
    answers the 90-day one Downgraded: the save still brings in $0, not the $40,000."""
    app = running_app
    saved_with_an_offer(app)
    first, second = both_asked(app, clock)
    press(app, "checkin_churned", second.id, "U0AE", "D0AE")
    eventually(lambda: checkins(app)[1].state == "answered")
    assert the_case(app).arr_kept == 0
    payload = app.slack.view_submission(
        "checkin_downgrade_view",
        {"new_arr": {"new_arr": "40,000"}},
        user_id="U0AE",
        private_metadata=json.dumps({"v": 1, "checkin_id": first.id}),
    )
    assert app.slack.interactive(payload).status == 200
    eventually(lambda: checkins(app)[0].state == "answered")
    assert [(c.answer, c.new_arr) for c in checkins(app)] == [
        ("downgraded", Decimal(40000)),
        ("churned", None),
        ("churned", None),
    ]
    assert the_case(app).arr_kept == 0


def test_what_a_save_still_brings_in_follows_the_answers_in_checkpoint_order() -> None:
    def answered(answer: str, new_arr: int | None = None) -> SaveCheckin:
        arr = None if new_arr is None else Decimal(new_arr)
        return SaveCheckin(state="answered", answer=answer, new_arr=arr)

    pending = SaveCheckin(state="pending")
    assert kept_after([pending]) is None
    assert kept_after([answered("downgraded", 40000), answered("customer")]) == 40000
    assert kept_after([answered("downgraded", 40000), answered("churned")]) == 0
    assert kept_after([answered("churned"), answered("downgraded", 40000)]) == 40000
    assert kept_after([answered("churned"), answered("customer"), pending]) is None
