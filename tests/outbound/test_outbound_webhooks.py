"""Outbound webhooks end to end: changes made through Slack (the stand-in, over HTTP) and
the dunning ladder reach a real HTTP receiver, each signed per Standard Webhooks (verified by
the independent `standardwebhooks` library), each once per change, retried after a 500."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.outbound.delivery import RETRY_SCHEDULE, sign
from bot.policy import Policy, PolicyError, parse_policy
from bot.runtime import scheduler as scheduler_module
from bot.runtime.services import Services
from bot.setup.checkup import database_state
from slack_edge.case_messages import CaseAction
from slack_edge.offer_messages import OfferAction
from storage import outbound as webhook_rows
from storage.models import Offer, PlanStep
from tests.conftest import TEST_POLICY, RunningApp, eventually, seed_account
from tests.finance.test_dunning import import_invoices, late
from tests.survey.test_survey_http import SURVEY_POLICY, churn, click, open_case, open_modal, submit
from tests.webhook_receiver import Receiver, new_secret

WEBHOOKS_DOC = Path(__file__).resolve().parents[2] / "docs" / "webhooks.md"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def policy(receiver: Receiver) -> Policy:
    return parse_policy(SURVEY_POLICY + receiver.policy(), "webhooks.toml")


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme Corp", stripe_customer_id="cus_ACME")
    return running_app


def offers(app: RunningApp) -> list[Offer]:
    with app.services.db.read() as session:
        return list(session.scalars(select(Offer).order_by(Offer.id)))


def propose(app: RunningApp, case_id: int, value: str, pct: str) -> None:
    values = {
        "type": {"type": {"type": "static_select", "selected_option": {"value": "discount"}}},
        "value": {"value": {"type": "number_input", "value": value}},
        "discount_pct": {"discount_pct": {"type": "number_input", "value": pct}},
        "duration": {"duration": "3 months"},
        "justification": {"justification": "budget freeze"},
        "tried": {"tried": ""},
    }
    meta = f'{{"case_id": {case_id}}}'
    payload = app.slack.view_submission(
        "case_offer_view", values, user_id="U0SAVE1", private_metadata=meta
    )
    assert app.slack.interactive(payload).status == 200


def settle(app: RunningApp, receiver: Receiver, count: int) -> list[str]:
    """Tick until the receiver has accepted `count` events; its event types."""
    app.tick()
    eventually(lambda: len(receiver.accepted()) >= count or app.tick())
    return receiver.types()


def test_every_case_change_through_slack_reaches_the_receiver_signed_and_once(
    app: RunningApp, receiver: Receiver
) -> None:
    case_id = open_case(app)
    assert settle(app, receiver, 1) == ["case.opened"]
    opened = receiver.accepted()[0]["data"]["case"]
    assert (opened["id"], opened["status"], opened["owner"]) == (case_id, "new", "U0AE")
    assert opened["account"] == {
        "external_id": "acme",
        "name": "Acme Corp",
        "stripe_customer_id": "cus_ACME",
        "arr": "60000.00",
        "currency": "USD",
        "csm": "U0CSM",
        "account_owner": "U0AE",
    }

    app.services.cases.reassign(case_id, "U0MGR", "U0SAVE1")
    propose(app, case_id, value="20000", pct="30")
    offer = eventually(lambda: offers(app) and offers(app)[0])
    click(app, OfferAction.APPROVE.value, offer.id, "U0MGR")
    eventually(lambda: offers(app)[0].status == "approved")
    settle(app, receiver, 3)
    owner, decided = receiver.accepted()[1:3]
    assert owner["type"] == "case.owner_changed"
    assert (owner["data"]["previous_owner"], owner["data"]["owner"]) == ("U0AE", "U0SAVE1")
    assert decided["type"] == "offer.decided"
    assert decided["data"]["decision"] == "approved" and decided["data"]["by"] == "U0MGR"
    assert decided["data"]["offer"]["discount_pct"] == "30.00"

    click(app, CaseAction.SAVED.value, case_id, "U0SAVE1")
    settle(app, receiver, 4)
    click(app, CaseAction.REOPEN.value, case_id, "U0SAVE1")
    settle(app, receiver, 5)
    answer = churn(app, case_id, user="U0SAVE1")
    settle(app, receiver, 6)
    view = open_modal(app, "survey_fill", answer.id, "U0SAVE1")
    assert submit(app, view, "U0SAVE1", cause="price_value", competitor="Rivalsoft") == {}
    settle(app, receiver, 7)
    app.tick()
    app.tick()  # nothing more is sent: each change once

    events = receiver.accepted()
    changes = [e["data"].get("change") for e in events if e["type"] == "case.status_changed"]
    assert changes == ["saved", "reopened", "churned"]
    assert events[3]["data"]["case"]["arr_saved"] == "60000.00"
    survey = events[6]
    assert survey["type"] == "survey.answered"
    assert survey["data"]["survey"]["root_cause"] == "price_value"
    assert survey["data"]["survey"]["competitor"] == "Rivalsoft"
    assert len(receiver.seen) == 7 and all(s.verified for s in receiver.seen)
    ids = [s.headers["webhook-id"] for s in receiver.seen]
    assert len(set(ids)) == 7 and all(re.fullmatch(r"msg_[0-9a-f]{32}", i) for i in ids)
    status = [line for line in database_state(app.services.db, app.services.policy).notes]
    assert status == [f"webhook {receiver.url}: last delivery {_at(app)}: survey.answered "
                      "delivered (HTTP 204); 0 waiting"]  # fmt: skip


def test_every_offer_decision_is_published_once(app: RunningApp, receiver: Receiver) -> None:
    """Rejected and countered by the approver, and applied by the policy's no-approval rule."""
    case_id = open_case(app)
    app.services.cases.reassign(case_id, "U0MGR", "U0SAVE1")
    for count, (value, pct) in enumerate((("20000", "30"), ("15000", "25"), ("1000", "5"))):
        propose(app, case_id, value=value, pct=pct)  # the last within the policy: no approver
        eventually(lambda n=count: len(offers(app)) == n + 1)
    rejected, countered, small = offers(app)
    click(app, OfferAction.REJECT.value, rejected.id, "U0MGR")
    payload = app.slack.view_submission(
        "offer_counter_view",
        {"value": {"value": {"type": "number_input", "value": "12000"}}, "note": {"note": ""}},
        user_id="U0MGR",
        private_metadata=f'{{"offer_id": {countered.id}}}',
    )
    assert app.slack.interactive(payload).status == 200
    eventually(lambda: [o.status for o in offers(app)][:2] == ["rejected", "countered"])
    settle(app, receiver, 5)
    app.tick()
    decided = [e["data"] for e in receiver.accepted() if e["type"] == "offer.decided"]
    assert sorted((d["offer"]["id"], d["decision"], d["approved_by"]) for d in decided) == [
        (rejected.id, "rejected", "approver"),
        (countered.id, "countered", "approver"),
        (small.id, "approved", "policy"),
    ]
    assert next(d for d in decided if d["decision"] == "countered")["offer"]["counter_value"] == (
        "12000.00"
    )
    assert all(s.verified for s in receiver.seen) and len(receiver.seen) == 5


def _at(app: RunningApp) -> str:
    return app.services.clock.now().strftime("%Y-%m-%d %H:%M UTC")


def test_a_500_is_retried_on_schedule_with_the_same_id_and_accepted_once(
    app: RunningApp, receiver: Receiver
) -> None:
    receiver.fail_next = 2
    open_case(app)  # its tick attempts once: 500
    assert [s.status for s in receiver.seen] == [500]
    app.tick()
    assert len(receiver.seen) == 1  # waits RETRY_SCHEDULE[0]
    app.services.clock.advance(RETRY_SCHEDULE[0])
    app.tick()
    assert [s.status for s in receiver.seen] == [500, 500]
    lines = database_state(app.services.db, app.services.policy).notes
    assert lines[0].endswith("case.opened answered HTTP 500; 1 waiting")
    app.services.clock.advance(RETRY_SCHEDULE[1] - timedelta(seconds=1))
    app.tick()
    assert len(receiver.seen) == 2
    app.services.clock.advance(timedelta(seconds=1))
    app.tick()
    app.tick()
    assert [s.status for s in receiver.seen] == [500, 500, 204]
    assert len({s.headers["webhook-id"] for s in receiver.seen}) == 1
    assert len({s.headers["webhook-signature"] for s in receiver.seen}) >= 1
    assert all(s.verified for s in receiver.seen) and receiver.types() == ["case.opened"]
    with app.services.db.read() as session:
        [row] = webhook_rows.for_event(session)
        assert (row.state, row.attempts, row.last_status) == ("delivered", 3, 204)


def test_an_endpoint_that_never_answers_fails_after_the_schedule_and_check_says_so(
    app: RunningApp, receiver: Receiver
) -> None:
    receiver.fail_next = 100
    open_case(app)
    for wait in RETRY_SCHEDULE:
        app.services.clock.advance(wait)
        app.tick()
    assert len(receiver.seen) == len(RETRY_SCHEDULE) + 1
    app.services.clock.advance(timedelta(days=2))
    app.tick()
    assert len(receiver.seen) == len(RETRY_SCHEDULE) + 1  # given up
    state = database_state(app.services.db, app.services.policy)
    assert any("1 event(s) could not be delivered" in p for p in state.problems)


@pytest.fixture
def second() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def test_ladder_steps_and_event_filters_per_endpoint(
    running_app: RunningApp, receiver: Receiver, second: Receiver, tmp_path: Path
) -> None:
    toml = TEST_POLICY + receiver.policy() + second.policy(["invoice.ladder_step"])
    from tests.conftest import with_policy

    app = running_app
    app.services = with_policy(app.services, toml)
    seed_account(app.services, "acme", "Acme Corp")
    import_invoices(app, tmp_path, [f"INV-61,acme,2000.00,USD,{late(app, 61)},open"])
    app.services.tick()
    app.services.tick()
    for endpoint in (receiver, second):
        [event] = endpoint.accepted()
        assert event["type"] == "invoice.ladder_step"
        assert event["data"]["invoice"]["id"] == "INV-61"
        assert event["data"]["invoice"]["days_past_due"] == 61
        assert event["data"]["step"] == {"days_past_due": 60, "notify": "controller",
                                         "passed": [30]}  # fmt: skip
    assert receiver.seen[0].headers["webhook-id"] == second.seen[0].headers["webhook-id"]


def test_a_completed_turnover_plan_is_published(app: RunningApp, receiver: Receiver) -> None:
    from tests.turnover import test_turnover_http as turnover

    seed_account(app.services, "NW-1", "Northwind", segment="enterprise")
    turnover.submit(app, turnover.open_modal(app), **turnover.CHAMPION_GONE)
    turnover.settle(app, 1)
    steps = turnover.steps_in(turnover.checklist(app, "Dana Smith"))
    for step_id, _, _ in steps:
        turnover.tick(app, step_id)
    turnover.eventually(lambda: all(s.done for s in turnover.rows(app, PlanStep)))
    app.tick()
    types = eventually(lambda: "turnover.plan_completed" in (app.tick() or receiver.types())
                       and receiver.types())  # fmt: skip
    assert types.count("turnover.plan_completed") == 1
    done = next(e for e in receiver.accepted() if e["type"] == "turnover.plan_completed")
    assert done["data"]["turnover"]["contact_name"] == "Dana Smith"
    assert done["data"]["turnover"]["steps"] == len(steps)
    assert done["data"]["case"]["account"]["external_id"] == "NW-1"


def test_the_signature_is_the_specifications_example() -> None:
    """Standard Webhooks' own test vector (its reference libraries' tests)."""
    key = __import__("base64").b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    body = '{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_the_documented_receiver_example_verifies_a_real_delivery(
    app: RunningApp, receiver: Receiver
) -> None:
    text = WEBHOOKS_DOC.read_text()
    code = text.split("<!-- receiver example -->", 1)[1].split("```python", 1)[1]
    namespace: dict = {}
    exec(code.split("```", 1)[0], namespace)
    open_case(app)
    seen = receiver.seen[0]
    verify = namespace["verify"]
    assert verify(seen.body.encode(), seen.headers, receiver.secret) == receiver.accepted()[0]
    with pytest.raises(ValueError):
        verify(seen.body.encode() + b" ", seen.headers, receiver.secret)
    with pytest.raises(ValueError):
        verify(seen.body.encode(), seen.headers, new_secret())


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('url = "ftp://x"\nsecret = "{s}"', 'outbound_webhooks[0].url: "ftp://x" is not'),
        ('url = "https://x.example"\nsecret = "abc"', "outbound_webhooks[0].secret: required"),
        ('url = "https://x.example"\nsecret = "whsec_!!"', "not base64 after whsec_"),
        ('url = "https://x.example"\nsecret = "whsec_YWJj"', "3 bytes after whsec_"),
        (
            'url = "https://x.example"\nsecret = "{s}"\nevents = ["case.closed"]',
            'unknown event "case.closed"',
        ),
        ('url = "https://x.example"\nsecret = "{s}"\nsecrets = 1', "unknown key (did you mean"),
    ],
)
def test_malformed_endpoints_are_named(entry: str, message: str) -> None:
    toml = "[[outbound_webhooks]]\n" + entry.replace("{s}", new_secret())
    with pytest.raises(PolicyError) as err:
        parse_policy(toml, "p.toml")
    assert message in str(err.value)


def test_the_secret_never_shows_in_the_policy_summary(receiver: Receiver) -> None:
    policy = parse_policy(TEST_POLICY + receiver.policy(), "p.toml")
    key_b64 = receiver.secret.removeprefix("whsec_")
    assert key_b64 not in policy.describe() and key_b64 not in repr(policy)
    assert f"{receiver.url} (every event)" in policy.describe()


def test_the_workers_loop_delivers_without_a_tick_woken_by_the_commit(
    services: Services, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 60 s poll: an event delivered within the test was woken by the change's commit."""
    monkeypatch.setattr(scheduler_module, "DELIVER_EVERY_SECONDS", 60)
    account = seed_account(services, "acme", "Acme Corp")
    scheduler = scheduler_module.Scheduler(services)
    scheduler.start()
    try:
        services.cases.open(account, Signal(kind="cancellation", source="test"))
        assert eventually(receiver.types) == ["case.opened"]
        assert "webhooks" in services.health.loops()
    finally:
        scheduler.shutdown()
