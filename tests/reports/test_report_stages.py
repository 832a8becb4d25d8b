"""Stage times and the trend (docs/reports.md, *Stage times* and *Trend*) end to end on the test
clock, through the Bolt app: a case acknowledged 2 hours after it opened, its first offer
a day later, the manager's decision 5 hours after that, saved a day later; the next week
a faster acknowledgement and a churn. Exact medians, the previous period beside each
figure, in `/churn report`, App Home, the CSV and the chart."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.common.clock import OffsetClock, write_offset
from bot.reports.chart import render_png
from bot.reports.export import write_csv
from bot.reports.figures import compute
from bot.reports.models import Report
from bot.reports.words import as_text
from slack_edge.case_messages import CaseAction
from slack_edge.offer_messages import OfferAction
from slack_edge.report_messages import home_report_blocks
from storage.models import Account, Case, Offer
from storage.report_stages import percentile
from tests.conftest import RunningApp, eventually, seed_account
from tests.offers.test_concessions import propose_for

HOUR = 3600.0


@pytest.fixture
def clock(tmp_path: Path) -> Iterator[OffsetClock]:
    write_offset(tmp_path / "clock", timedelta(0))
    yield OffsetClock(file=tmp_path / "clock")


def hours_pass(clock: OffsetClock, hours: float) -> None:
    assert clock.file is not None
    write_offset(clock.file, clock.offset + timedelta(hours=hours))


def press(app: RunningApp, action: str, value: int, user: str) -> None:
    payload = app.slack.block_action(
        action, str(value), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def case_of(app: RunningApp, external_id: str) -> Case:
    with app.services.db.read() as session:
        case = session.scalars(
            select(Case).join(Account).where(Account.external_id == external_id)
        ).first()
        assert case is not None, external_id
        return case


def opened(app: RunningApp, external_id: str, name: str) -> Case:
    """`/churn cancel <account>` by the account executive, through Slack."""
    seed_account(app.services, external_id, name, arr=Decimal(40000))
    response = app.slack.slash_command(f"cancel {external_id} too expensive", user_id="U0AE")
    assert response.status == 200
    return eventually(lambda: _maybe(app, external_id))


def _maybe(app: RunningApp, external_id: str) -> Case | None:
    try:
        return case_of(app, external_id)
    except AssertionError:
        return None


def offer_of(app: RunningApp, case_id: int) -> Offer:
    with app.services.db.read() as session:
        offer = session.scalars(select(Offer).where(Offer.case_id == case_id)).first()
        assert offer is not None
        return offer


def report_now(app: RunningApp, clock: OffsetClock) -> Report:
    with app.services.db.read() as session:
        return compute(session, app.services.policy, "week", clock.now())


def the_first_week(app: RunningApp, clock: OffsetClock) -> Case:
    """Acme: acknowledged after 2 h, first offer (above policy: a manager decides) after
    26 h, approved 5 h later, accepted and saved 24 h after that (55 h to close)."""
    acme = opened(app, "acme", "Acme Corp")
    assert acme.owner == "U0AE" and acme.acknowledged_at is None
    hours_pass(clock, 2)
    press(app, CaseAction.ACKNOWLEDGE.value, acme.id, "U0AE")
    eventually(lambda: case_of(app, "acme").acknowledged_at is not None)
    hours_pass(clock, 24)
    assert propose_for(app, acme.id, value="12000", pct="30") == {}
    offer = eventually(lambda: _offer_or_none(app, acme.id))
    assert (offer.status, offer.approver) == ("pending", "managers")
    hours_pass(clock, 5)
    press(app, OfferAction.APPROVE.value, offer.id, "U0MGR")
    eventually(lambda: offer_of(app, acme.id).status == "approved")
    press(app, OfferAction.ACCEPTED.value, offer.id, "U0AE")
    eventually(lambda: offer_of(app, acme.id).outcome == "accepted")
    hours_pass(clock, 24)
    press(app, CaseAction.SAVED.value, acme.id, "U0AE")
    return eventually(lambda: (c := case_of(app, "acme")).status == "saved" and c)


def _offer_or_none(app: RunningApp, case_id: int) -> Offer | None:
    with app.services.db.read() as session:
        return session.scalars(select(Offer).where(Offer.case_id == case_id)).first()


def test_stage_times_are_exact_per_kind_and_owner_and_name_the_slowest_open_cases(
    running_app: RunningApp, clock: OffsetClock, tmp_path: Path
) -> None:
    app = running_app
    initech = opened(app, "initech", "Initech")  # nobody acknowledges it
    the_first_week(app, clock)
    report = report_now(app, clock)
    expected = {"acknowledge": 2, "first_offer": 26, "decision": 5, "close": 55}
    for stage, hours in expected.items():
        for by, key in (("all", None), ("kind", "cancellation"), ("owner", "U0AE")):
            line = report.stage(stage, by, key)
            assert line is not None, (stage, by)
            assert line.cases == 1
            assert line.median == pytest.approx(hours * HOUR, abs=5)
            assert line.p90 == pytest.approx(hours * HOUR, abs=5)
    slowest = {(s.stage, s.case_id) for s in report.slowest or ()}
    assert ("acknowledge", initech.id) in slowest and ("close", initech.id) in slowest
    assert ("first_offer", initech.id) in slowest

    text = as_text(report)
    assert "Stage times: median / p90 (how many): to acknowledge 2 h / 2 h (1)" in text
    assert "to the approval decision 5 h / 5 h (1)" in text and "to close 2 days" in text
    assert "Stage times, Cancellation: acknowledge 2 h / 2 h (1)" in text
    assert "Stage times, <@U0AE>: acknowledge 2 h / 2 h (1)" in text
    assert f"not yet acknowledged: #{initech.id} Initech (Cancellation, <@U0AE>) 2 days" in text

    app.tick()
    response = app.slack.slash_command("report week", user_id="U0MGR", channel_id="C0EXEC")
    assert response.status == 200
    [post] = eventually(lambda: _delivered_post(app))
    body = json.dumps(post["blocks"])
    assert "*Stage times*: median / p90 (how many): to acknowledge 2 h / 2 h (1)" in body
    assert "*Slowest open cases*: not yet acknowledged: #" in body
    home = json.dumps([b.to_dict() for b in home_report_blocks(report, None, "")])
    assert "*Stage times, Cancellation*: acknowledge 2 h" in home

    path = tmp_path / "report.csv"
    write_csv(app.services.db, app.services.policy, report, path)
    rows = list(csv.DictReader(path.open()))
    clocks = {r["figure"]: r for r in rows if r["figure"].startswith("stage_") and r["case_id"]}
    assert clocks["stage_acknowledge"]["stage_hours"] == "2.0"
    assert clocks["stage_close"]["stage_hours"] == "55.0"
    assert clocks["stage_decision"]["owner"] == "U0AE"
    summary = [r for r in rows if r["figure"] == "stage_times" and r["group"] == "owner"]
    assert {(r["stage"], r["owner"], r["median_hours"]) for r in summary} >= {
        ("first_offer", "U0AE", "26.0")
    }
    waiting = [r for r in rows if r["figure"] == "slowest_open" and r["stage"] == "acknowledge"]
    assert waiting[0]["case_id"] == str(initech.id)


def test_every_figure_beside_the_previous_period(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    the_first_week(app, clock)
    hours_pass(clock, 7 * 24)
    globex = opened(app, "globex", "Globex")
    hours_pass(clock, 0.5)
    press(app, CaseAction.ACKNOWLEDGE.value, globex.id, "U0AE")
    eventually(lambda: case_of(app, "globex").acknowledged_at is not None)
    hours_pass(clock, 1)
    press(app, CaseAction.CHURNED.value, globex.id, "U0AE")
    eventually(lambda: case_of(app, "globex").status == "churned")

    report = report_now(app, clock)
    before = report.previous
    assert before is not None and before.end < report.start
    assert (before.overall.saved, before.overall.arr_saved) == (1, Decimal(40000))
    assert (report.overall.saved, report.overall.churned) == (0, 1)
    acknowledged = report.stage("acknowledge")
    was = before.stage("acknowledge")
    assert acknowledged is not None and was is not None
    assert (acknowledged.median, was.median) == (
        pytest.approx(0.5 * HOUR, abs=5),
        pytest.approx(2 * HOUR, abs=5),
    )
    text = as_text(report)
    assert "a save rate of 0% (down from 100%)" in text
    assert (
        "we saved 0 customers (down from 1) worth $0 (down from $40,000) and lost 1 customer "
        "(up from 0) worth $40,000 (up from $0): a save rate of 0% (down from 100%); no "
        "customer is at risk now (unchanged)." in text
    )  # every figure of the sentences beside the previous period's
    assert "to acknowledge 30 min / 30 min (1), before 2 h / 2 h" in text
    assert "to the approval decision none stopped (before: 5 h / 5 h)" in text
    assert (  # per kind and per owner too
        "Stage times, Cancellation: acknowledge 30 min / 30 min (1), before 2 h / 2 h; first "
        "offer none stopped (before: 26 h / 26 h);" in text
    )
    assert "Stage times, <@U0AE>: acknowledge 30 min / 30 min (1), before 2 h / 2 h;" in text
    assert "(before: 0 worth $0, saveable $0, high risk $0)" in text
    assert "saved 0 worth $0 (before: 1 worth $40,000)" in text
    assert "save rate 0% (before: 100%)" in text

    with_trend = render_png(report)
    assert with_trend.startswith(b"\x89PNG") and with_trend != render_png(
        replace(report, previous=None)
    )  # the previous period's markers are drawn

    app.tick()
    response = app.slack.slash_command("report week", user_id="U0MGR", channel_id="C0EXEC")
    assert response.status == 200
    [post] = eventually(lambda: _delivered_post(app))
    assert "a save rate of 0% (down from 100%)" in post["text"]
    [chart] = eventually(lambda: [f for f in app.standin.files() if f.completed])
    assert (chart.content or b"").startswith(b"\x89PNG")


def test_percentile_interpolates_like_postgresql() -> None:
    assert percentile([1.0], 0.9) == 1.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.5
    assert percentile([10.0, 20.0, 30.0, 40.0, 50.0], 0.9) == pytest.approx(46.0)
    with pytest.raises(ValueError):
        percentile([], 0.5)


def _delivered_post(app: RunningApp) -> list[dict]:
    app.tick()
    return [m for m in app.standin.messages("C0EXEC") if m.get("blocks")]
