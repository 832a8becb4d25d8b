"""The dunning ladder end to end: invoices in (CSV import, Stripe), `tick`, DMs and the
finance channel out through the Slack stand-in; an injected clock."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import FakeClock
from bot.finance.dunning import today_in
from bot.imports.invoices import InvoiceImporter
from storage.models import Case, CaseEvent, Invoice, ScheduledStep
from tests.conftest import TEST_POLICY, RunningApp, seed_account, with_policy
from tests.stripe_requests import at, event, invoice, post


def dms(app: RunningApp, user: str) -> list[str]:
    return [m["text"] for m in app.standin.messages(f"D{user[1:]}")]


def finance_lines(app: RunningApp) -> list[str]:
    return [m["text"] for m in app.standin.messages("C0FINANCE")]


def today(app: RunningApp) -> date:
    return today_in(app.services.policy, app.services.clock.now())


def import_invoices(app: RunningApp, tmp_path: Path, rows: list[str]) -> None:
    path = tmp_path / "invoices.csv"
    path.write_text("invoice_id,account,amount,currency,due_date,status\n" + "\n".join(rows))
    services = app.services
    report = InvoiceImporter(services.db, services.clock, services.policy.dunning.steps).run(path)
    assert not report.problems, report.problems


def late(app: RunningApp, days: int) -> str:
    return (today(app) - timedelta(days=days)).isoformat()


def test_31_61_91_days_ping_csm_controller_cfo_each_once(
    running_app: RunningApp, tmp_path: Path
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    import_invoices(
        app,
        tmp_path,
        [
            f"INV-31,acme,1000.00,USD,{late(app, 31)},open",
            f"INV-61,acme,2000.00,USD,{late(app, 61)},open",
            f"INV-91,acme,3000.00,USD,{late(app, 91)},open",
            f"INV-PAID,acme,4000.00,USD,{late(app, 91)},paid",
            f"INV-VOID,acme,5000.00,USD,{late(app, 91)},void",
        ],
    )
    app.tick()
    csm, ctrl, cfo = dms(app, "U0CSM"), dms(app, "U0CTRL"), dms(app, "U0CFO")
    assert len(csm) == len(ctrl) == len(cfo) == 1
    assert "INV-31" in csm[0] and "$1,000 remaining" in csm[0] and "31 days" in csm[0]
    assert "remind the client" in csm[0]
    assert "INV-61" in ctrl[0] and "61 days past due" in ctrl[0] and "draft" in ctrl[0]
    assert "already past the 30-day step" in ctrl[0]
    assert "INV-91" in cfo[0] and "91 days past due" in cfo[0] and "> Hello Acme team" in cfo[0]
    assert "30-day and 60-day steps" in cfo[0]
    assert "https://" not in csm[0]  # CSV invoices have no hosted link and Acme no case
    lines = finance_lines(app)
    assert len(lines) == 3 and not any("INV-PAID" in x or "INV-VOID" in x for x in lines)
    assert all(inv not in " ".join(dms(app, "U0FIN")) for inv in ("INV-31",))
    app.tick()
    assert len(app.standin.messages()) == 6  # a second tick sends nothing


def test_an_invoice_climbs_the_ladder_day_by_day_in_the_policy_timezone(
    running_app: RunningApp, clock: FakeClock, tmp_path: Path
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    clock.set(datetime.fromisoformat("2026-03-10T12:00:00+00:00"))
    import_invoices(app, tmp_path, ["INV-1,acme,900,EUR,2026-02-08,open"])  # 30 days on 3-10
    # 03:30 UTC on 2026-03-10 is still 2026-03-09 in New York: 29 days past due
    clock.set(datetime.fromisoformat("2026-03-10T03:30:00+00:00"))
    app.tick()
    assert dms(app, "U0CSM") == []
    clock.set(datetime.fromisoformat("2026-03-10T05:00:00+00:00"))  # midnight in New York
    app.tick()
    assert len(dms(app, "U0CSM")) == 1 and "30 days past due" in dms(app, "U0CSM")[0]
    assert "already past" not in dms(app, "U0CSM")[0]
    clock.advance(timedelta(days=29))
    app.tick()
    assert dms(app, "U0CTRL") == []
    clock.advance(timedelta(days=1))
    app.tick()
    assert len(dms(app, "U0CTRL")) == 1 and "already past" not in dms(app, "U0CTRL")[0]
    clock.advance(timedelta(days=45))
    app.tick()
    app.tick()
    assert len(dms(app, "U0CFO")) == 1
    assert (len(dms(app, "U0CSM")), len(dms(app, "U0CTRL"))) == (1, 1)
    with app.services.db.read() as session:
        keys = sorted(
            session.scalars(select(ScheduledStep.key).where(ScheduledStep.kind == "dunning"))
        )
        row = session.scalar(select(Invoice))
    assert keys == [f"dunning:{row.id}:{d}" for d in (30, 60, 90)] and row.next_step_on is None


def test_paid_before_the_step_runs_or_partially_paid(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    seed_account(app.services, "acme", "Acme", csm="U0CSM", stripe_customer_id="cus_acme")
    due = today(app) - timedelta(days=95)
    created = at(due - timedelta(days=30))
    post(app.slack, event("invoice.finalized", invoice("in_paid", due=due), created))
    partial = invoice("in_part", due=due, amount_due=300000, amount_remaining=125050)
    post(app.slack, event("invoice.finalized", partial, created))
    app.services.finance.run_due()  # steps scheduled for both, not yet run
    paid = invoice("in_paid", due=due, status="paid", amount_remaining=0)
    post(app.slack, event("invoice.paid", paid, at(today(app))))
    app.tick()
    cfo = dms(app, "U0CFO")
    assert len(cfo) == 1 and "in_part" in cfo[0] and "$1,250.50 remaining" in cfo[0]
    assert "95 days past due" in cfo[0] and "30-day and 60-day steps" in cfo[0]
    assert "https://invoice.stripe.com/i/in_part" in cfo[0]
    with app.services.db.read() as session:
        states = dict(
            session.execute(
                select(ScheduledStep.key, ScheduledStep.state).where(
                    ScheduledStep.kind == "dunning"
                )
            ).all()
        )
    assert sorted(states.values()) == ["cancelled", "done"]


def test_any_steps_and_roles_from_the_policy(running_app: RunningApp, tmp_path: Path) -> None:
    policy = (
        TEST_POLICY
        + """
[dunning]
[[dunning.steps]]
days_past_due = 7
notify = "finance"
[[dunning.steps]]
days_past_due = 14
notify = "account_owner"
[[dunning.steps]]
days_past_due = 21
notify = "managers"
"""
    )
    app = running_app
    app.services = with_policy(app.services, policy)
    seed_account(app.services, "acme", "Acme", account_owner="U0AE")
    import_invoices(
        app,
        tmp_path,
        [f"A,acme,10,JPY,{late(app, 8)},open", f"B,acme,10.5,USD,{late(app, 15)},open"],
    )
    import_invoices(app, tmp_path, [f"C,acme,1.234,KWD,{late(app, 22)},open"])
    app.tick()
    assert len(dms(app, "U0FIN")) == 1 and "¥10 remaining" in dms(app, "U0FIN")[0]
    assert len(dms(app, "U0AE")) == 1 and "$10.50" in dms(app, "U0AE")[0]
    assert len(dms(app, "U0MGR")) == 1 and "1.234 KWD" in dms(app, "U0MGR")[0]
    assert "7-day and 14-day steps" in dms(app, "U0MGR")[0]


def test_amounts_stored_in_major_units(running_app: RunningApp, tmp_path: Path) -> None:
    app = running_app
    import_invoices(app, tmp_path, [f"A,newco,1500.5,USD,{late(app, 1)},open"])
    with app.services.db.read() as session:
        row = session.scalar(select(Invoice))
    assert row is not None and row.amount_remaining == Decimal("1500.50")


def test_the_documented_worked_example(
    running_app: RunningApp, clock: FakeClock, tmp_path: Path
) -> None:
    app = running_app
    clock.set(datetime.fromisoformat("2026-01-05T14:00:00+00:00"))
    seed_account(app.services, "acme", "Acme", csm="U0CSM")
    import_invoices(
        app,
        tmp_path,
        [
            "INV-A,acme,1000.00,USD,2025-12-05,open",
            "INV-B,acme,2000.00,USD,2025-11-05,open",
            "INV-C,acme,3000.00,USD,2025-10-01,open",
        ],
    )
    app.tick()
    app.tick()
    assert ["INV-A" in m and "31 days" in m for m in dms(app, "U0CSM")] == [True]
    assert ["INV-B" in m and "61 days" in m for m in dms(app, "U0CTRL")] == [True]
    assert ["INV-C" in m and "96 days" in m for m in dms(app, "U0CFO")] == [True]
    assert len(finance_lines(app)) == 3
    clock.set(datetime.fromisoformat("2026-02-03T04:59:00+00:00"))  # 23:59 on 2-2 in NY
    app.tick()
    assert len(dms(app, "U0CTRL")) == 1
    clock.set(datetime.fromisoformat("2026-02-03T05:00:00+00:00"))
    app.tick()
    assert len(dms(app, "U0CTRL")) == 2 and "INV-A" in dms(app, "U0CTRL")[1]


def test_an_invoice_at_the_last_step_shows_on_the_open_churn_case_root(
    running_app: RunningApp, tmp_path: Path
) -> None:
    app = running_app
    account = seed_account(app.services, "acme", "Acme", csm="U0CSM")
    opened = app.services.signals.open(account, Signal(kind="cancellation", source="test"))
    app.tick()
    import_invoices(
        app,
        tmp_path,
        [
            f"INV-91,acme,3000.00,USD,{late(app, 91)},open",
            f"INV-31,acme,5,USD,{late(app, 31)},open",
        ],
    )
    app.tick()
    edits = app.standin.calls("chat.update")
    assert edits and "last dunning step" in json.dumps(edits[-1].args["blocks"])
    assert "INV-91" in json.dumps(edits[-1].args["blocks"])
    assert "INV-31" not in json.dumps(edits[-1].args["blocks"])
    thread = [m["text"] for m in app.standin.messages("C0CASES") if m.get("thread_ts")]
    assert any("INV-91" in line and "last dunning step" in line for line in thread)
    with app.services.db.read() as session:
        said = session.scalars(select(CaseEvent.text).where(CaseEvent.type == "dunning"))
        assert any("INV-91" in line for line in said)  # and the case's timeline keeps it
    with app.services.db.read() as session:
        case = session.get(Case, opened.case_id)
    assert case is not None and case.owner != "U0CFO" and case.status == "new"
    cfo = dms(app, "U0CFO")
    assert len(cfo) == 1 and "https://" in cfo[0]  # no invoice URL: links the case thread
