"""`/churn report` and the leaders' App Home end to end: requests signed like Slack's over
HTTP, cases made through the product's own commands and buttons, Slack played by the
stand-in."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from bot.reports.figures import compute
from bot.reports.words import as_text
from slack_edge.case_messages import CaseAction
from slack_edge.report_messages import home_report_blocks
from storage.models import Case, Invoice
from tests.conftest import RunningApp, eventually, seed_account, stored_case
from tests.report_data import Book

RISK_VIEW = "case_risk_view"
DAY = timedelta(days=1)


def press(app: RunningApp, action: CaseAction, case_id: int, user: str = "U0CSM") -> None:
    payload = app.slack.block_action(
        action.value, str(case_id), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def set_risk(app: RunningApp, case_id: int, risk: str) -> None:
    values = {"risk": {"risk": {"type": "radio_buttons", "selected_option": {"value": risk}}}}
    submit = app.slack.view_submission(
        RISK_VIEW, values, user_id="U0CSM", private_metadata=json.dumps({"case_id": case_id})
    )
    assert app.slack.interactive(submit).status == 200
    eventually(lambda: stored_case(app, case_id).risk == risk)


def open_risk(app: RunningApp, external_id: str, arr: int, kind: str = "usage_drop") -> int:
    account_id = seed_account(app.services, external_id, external_id.title(), arr=Decimal(arr))
    assert app.slack.slash_command(f"risk {external_id} {kind} logins halved").status == 200
    return eventually(lambda: _case_id(app, account_id))


def _case_id(app: RunningApp, account_id: int) -> int | None:
    with app.services.db.read() as session:
        return session.scalar(select(Case.id).where(Case.account_id == account_id))


def test_churn_report_posts_in_the_channel_with_its_chart(running_app: RunningApp) -> None:
    app = running_app
    saved = [open_risk(app, "initech", 30000), open_risk(app, "umbrella", 13000)]
    at_risk = [open_risk(app, "hooli", 100000), open_risk(app, "stark", 50000)]
    app.services.clock.advance(timedelta(days=3))
    for case_id in saved:
        press(app, CaseAction.SAVED, case_id)
        eventually(lambda c=case_id: stored_case(app, c).status == "saved")
    set_risk(app, at_risk[0], "high")
    app.tick()

    response = app.slack.slash_command("report week", user_id="U0MGR", channel_id="C0EXEC")
    assert response.status == 200
    assert response.json()["text"].startswith("Working on the revenue-at-risk report")
    eventually(lambda: app.services.reports and _queued_report(app))
    [post] = eventually(lambda: _delivered_post(app))
    text = json.dumps(post)
    assert (
        "Last week we saved 2 customers from usage-drop risk (up from 0 customers), worth "
        "$43,000 (up from $0)." in text
    )  # the week before, nothing was open yet: every figure beside the previous period's
    assert "We have 2 customers at risk for that reason (up from 0), worth $150,000 in ARR" in text
    assert "the average time at risk is 3 days" in text
    assert (
        "We believe we can save $50,000 (up from $0); $100,000 remains at high risk of churn "
        "(up from $0)." in text
    )
    [chart] = [f for f in app.standin.files() if f.completed]
    assert chart.channels == ["C0EXEC"] and (chart.content or b"").startswith(b"\x89PNG")


def _queued_report(app: RunningApp) -> bool:
    from storage.models import StoredReport

    with app.services.db.read() as session:
        return session.scalar(select(StoredReport.id)) is not None


def test_bad_report_period_answers_usage(running_app: RunningApp) -> None:
    response = running_app.slack.slash_command("report year")
    assert response.status == 200
    assert "`/churn report` takes one of week, month, quarter" in response.json()["text"]
    running_app.tick()
    assert running_app.standin.messages("C0GENERAL") == []


def test_leaders_home_is_refreshed_after_a_case_change_at_most_once_a_minute(
    running_app: RunningApp,
) -> None:
    app = running_app
    open_risk(app, "hooli", 100000)
    app.tick()
    published = app.standin.calls("views.publish")
    users = sorted(c.args["user_id"] for c in published)
    assert users == ["U0ADMIN", "U0MGR"], "managers and admins, not the CSM"
    home = app.standin.home_view("U0MGR")
    assert home is not None and "Revenue at risk" in json.dumps(home)
    assert "1 customer is at risk now (up from 0), worth $100,000" in json.dumps(home)
    open_risk(app, "stark", 50000)
    app.tick()
    assert len(app.standin.calls("views.publish")) == 2, "not again within the minute"
    app.services.clock.advance(timedelta(seconds=61))
    app.tick()
    assert len(app.standin.calls("views.publish")) == 4
    assert "2 customers are at risk now (up from 0), worth $150,000" in json.dumps(
        app.standin.home_view("U0MGR")
    )
    app.services.clock.advance(timedelta(minutes=5))
    app.tick()
    assert len(app.standin.calls("views.publish")) == 4, "nothing changed: no refresh"


def _delivered_post(app: RunningApp) -> list[dict]:
    """Deliver what is queued (the post is queued just after the stored report, so one
    tick may run before it), then the report posts in C0EXEC that carry blocks."""
    app.tick()
    return [m for m in app.standin.messages("C0EXEC") if m.get("blocks")]


def test_the_payment_track_stands_beside_the_previous_periods(running_app: RunningApp) -> None:
    """The payment track as the week began (docs/reports.md, *Trend*): delinquent cases
    opened by then and open now or closed since; invoices recorded and past due by then,
    open now or paid since, at the ladder step they were past then. In `/churn report`,
    the App Home section and the terminal text alike."""
    app = running_app
    now = app.services.clock.now()
    book = Book(app.services, now)
    book.case("payment_failed", "working", 15000, age=10 * DAY)  # open then and now
    book.case("payment_failed", "working", 5000, age=3 * DAY)  # opened this week
    book.case("payment_failed", "saved", 7000, age=20 * DAY, closed_ago=2 * DAY)  # then only
    book.case("payment_failed", "saved", 1000, age=12 * DAY, closed_ago=DAY)  # then only
    book.case("payment_failed", "saved", 9000, age=30 * DAY, closed_ago=10 * DAY)  # neither
    account_id = seed_account(app.services, "acme", "Acme")
    today = now.astimezone(app.services.policy.timezone).date()
    for n, (amount, late, status, step, recorded, changed) in enumerate(
        [
            (1000, 35, "open", 30, 40, 40),  # then 28 days late: before the first step
            (5000, 65, "open", 60, 70, 70),  # then 58 days late: the 30-day step
            (4000, 50, "paid", 30, 60, 3),  # paid this week: overdue then at 43 days
            (2500, 50, "paid", 30, 60, 10),  # paid before the week: neither
            (700, 3, "open", 0, 4, 4),  # not yet due then
            (400, 20, "open", 0, 2, 2),  # recorded this week only
        ]
    ):
        with app.services.db.session() as session:
            session.add(
                Invoice(
                    invoice_id=f"in_{n}",
                    account_id=account_id,
                    amount_due=Decimal(amount),
                    amount_remaining=Decimal(0 if status == "paid" else amount),
                    currency="USD",
                    due_date=today - late * DAY,
                    status=status,
                    source="csv",
                    dunning_days=step,
                    created_at=now - recorded * DAY,
                    updated_at=now - changed * DAY,
                )
            )
    said = (
        "2 open delinquent cases (down from 3) worth $20,000 in ARR (down from $23,000); "
        "overdue $7,100 (down from $10,000): $1,100 before the first step (2) (up from "
        "$1,000 (1)), $1,000 at 30+ days past due (1) (down from $9,000 (2)), $5,000 at 60+ "
        "days past due (1) (up from none)"
    )
    with app.services.db.read() as session:
        report = compute(session, app.services.policy, "week", now)
    assert f"Payment track: {said}\n" in as_text(report)
    home = json.dumps([b.to_dict() for b in home_report_blocks(report, None, "")])
    assert f"*Payment track*: {said}" in home

    response = app.slack.slash_command("report week", user_id="U0MGR", channel_id="C0EXEC")
    assert response.status == 200
    [post] = eventually(lambda: _delivered_post(app))
    assert f"*Payment track*: {said}" in json.dumps(post["blocks"])
