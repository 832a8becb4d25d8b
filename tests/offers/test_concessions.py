"""The concession ledger (docs/offers.md, *The concession ledger*) end to end on the test clock:
every accepted offer is a concession on its account; the offer modal and the approval
request show the last 12 months; the third within 12 months asks a manager."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.common.clock import OffsetClock, write_offset
from bot.offers.service import OfferInput
from slack_edge.case_messages import CaseAction
from storage.models import Offer
from tests.conftest import RunningApp, eventually, seed_account


@pytest.fixture
def clock(tmp_path: Path) -> Iterator[OffsetClock]:
    write_offset(tmp_path / "clock", timedelta(0))
    yield OffsetClock(file=tmp_path / "clock")


def days_pass(clock: OffsetClock, days: float) -> None:
    assert clock.file is not None
    write_offset(clock.file, clock.offset + timedelta(days=days))


def conceded(app: RunningApp, account: int, value: int) -> int:
    """A case opened, a small discount applied within policy, accepted, saved: one
    concession. Returns the case id."""
    services = app.services
    case_id = services.cases.open(account, Signal(kind="cancellation", source="test")).case_id
    data = OfferInput("discount", Decimal(value), Decimal(5), "3 months", "keep them", None)
    offer = services.offers.propose(case_id, "U0AE", data)
    assert offer.status == "approved"  # within policy: no approval
    services.offers.record_outcome(offer.id, "U0AE", accepted=True)
    services.cases.close(case_id, "U0AE", "saved")
    return case_id


def last_offer(app: RunningApp) -> Offer:
    with app.services.db.read() as session:
        offer = session.scalars(select(Offer).order_by(Offer.id.desc())).first()
        assert offer is not None
        return offer


def test_the_third_concession_within_12_months_asks_a_manager(
    running_app: RunningApp, clock: OffsetClock
) -> None:
    app = running_app
    account = seed_account(app.services, "acme", "Acme Corp")
    conceded(app, account, 1000)  # 13 months before the others: outside the ledger
    days_pass(clock, 395)
    conceded(app, account, 1500)
    accepted_at = last_offer(app).outcome_at
    assert accepted_at is not None and abs(accepted_at - clock.now()) < timedelta(minutes=1)
    days_pass(clock, 30)
    second = conceded(app, account, 2000)  # the second within 12 months: still no approval
    assert last_offer(app).approver == "none"
    ledger = app.services.offers.concessions(second)
    assert [(c.type, c.value, c.approver) for c in ledger] == [
        ("discount", Decimal(1500), None),
        ("discount", Decimal(2000), None),
    ]
    assert ledger[1].on == last_offer(app).outcome_at

    days_pass(clock, 20)
    case_id = app.services.cases.open(account, Signal(kind="cancellation", source="t")).case_id
    app.tick()
    press = app.slack.block_action(
        CaseAction.OFFER.value, str(case_id), user_id="U0AE", channel_id="C0CASES",
        message_ts="1.0", trigger_id="trig-1",
    )  # fmt: skip
    assert app.slack.interactive(press).status == 200
    modal = eventually(lambda: [v for v in app.standin.views() if v.get("type") == "modal"])[-1]
    shown = json.dumps(modal)
    assert "Concessions on this account, last 12 months* (2)" in shown
    assert "Discount, $1,500, within policy" in shown and "$1,000" not in shown
    assert "This would be concession #3 within 12 months: a manager decides." in shown

    assert propose_for(app, case_id, value="2000", pct="5") == {}  # within the policy's limits
    offer = eventually(lambda: last_offer(app).case_id == case_id and last_offer(app))
    assert (offer.status, offer.approver) == ("pending", "managers")
    app.tick()
    request = next(
        m for m in app.standin.messages("C0CASES") if f"Save offer #{offer.id}" in m["text"]
    )
    body = json.dumps(request["blocks"])
    assert "Approval needed from <@U0MGR>" in body
    assert "This would be concession #3 on this account within 12 months" in body
    assert "Concessions on this account, last 12 months* (2)" in body


def propose_for(app: RunningApp, case_id: int, **fields: str) -> dict:
    """The propose modal submitted for `case_id` (tests.offers.test_offers.propose, any case)."""
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": fields.get("value", "2000")}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": fields.get("pct", "5")}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": "third time"},
        "tried": {"tried": ""},
    }
    payload = app.slack.view_submission(
        "case_offer_view", values, user_id="U0AE", private_metadata=json.dumps({"case_id": case_id})
    )
    response = app.slack.interactive(payload)
    return response.json() if response.body else {}
