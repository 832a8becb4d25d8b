"""A nudge DM's buttons go once they no longer apply: the case closed, or it changed hands
(docs/escalation.md, *When a case closes or changes hands*)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from bot.common.clock import FakeClock
from bot.offers.service import OfferInput
from bot.policy import Policy, parse_policy
from slack_edge.case_messages import CaseAction
from storage.models import Account, Case, OutboxMessage
from storage.tables.people import SlackUser
from tests.conftest import PG_URL, RunningApp, eventually, seed_account, stored_case
from tests.followups.test_followups import SECONDS_POLICY, open_case
from tests.interleave import while_held
from tests.slack_events import delivered
from tests.stripe_requests import at, event, post, subscription

AWAY = '\n[people]\naway_statuses = [":palm_tree:"]\n'  # a Slack status is time off


@pytest.fixture
def policy() -> Policy:
    return parse_policy(SECONDS_POLICY + AWAY, "seconds.toml")


def nudges(app: RunningApp, user: str) -> list[dict]:
    """The DMs `user` got from the ladder (not the owner's "You own a new case")."""
    dms = app.standin.messages(f"D{user[1:]}")
    return [m for m in dms if "this case" in m["text"]]


def buttons(message: dict) -> list[str]:
    return [
        e["text"]["text"]
        for b in message["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") != "open_thread"
    ]


def context(message: dict) -> str:
    return " ".join(
        e["text"] for b in message["blocks"] if b["type"] == "context" for e in b["elements"]
    )


def press(app: RunningApp, action: CaseAction, case_id: int, user: str) -> None:
    payload = app.slack.block_action(
        action.value, str(case_id), user_id=user, channel_id="C0CASES", message_ts="1.0"
    )
    assert app.slack.interactive(payload).status == 200


def thread_link(app: RunningApp, case_id: int) -> str:
    with app.services.db.read() as session:
        root = session.get(OutboxMessage, stored_case(app, case_id).root_message_id)
        assert root is not None and root.permalink
        return root.permalink


def escalated(app: RunningApp, clock: FakeClock) -> int:
    """A case whose owner was nudged and whose managers were brought in."""
    case_id = open_case(app)
    clock.advance(timedelta(seconds=2))
    app.tick()
    clock.advance(timedelta(seconds=2))
    app.tick()
    assert len(nudges(app, "U0AE")) == 2 and len(nudges(app, "U0MGR")) == 1
    assert all(buttons(m) == ["Acknowledge", "Snooze"] for m in nudges(app, "U0AE"))
    return case_id


def test_closing_a_case_takes_the_buttons_off_every_nudge(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    case_id = escalated(app, clock)
    press(app, CaseAction.SAVED, case_id, "U0AE")
    eventually(lambda: stored_case(app, case_id).status == "saved")
    app.tick()
    link = thread_link(app, case_id)
    for dm in [*nudges(app, "U0AE"), *nudges(app, "U0MGR")]:
        assert buttons(dm) == [], dm
        assert context(dm) == f"Closed: saved by <@U0AE> · <{link}|Open the thread>"
        assert "Nobody has acted" in dm["text"] or "Escalating" in dm["text"]
    assert "nudge_dms" not in stored_case(app, case_id).details
    edits = len(app.standin.calls("chat.update"))
    press(app, CaseAction.REOPEN, case_id, "U0AE")  # reopening brings no buttons back
    eventually(lambda: stored_case(app, case_id).status == "working")
    app.tick()
    assert all(buttons(m) == [] for m in nudges(app, "U0AE"))
    updated = {c.args["channel"] for c in app.standin.calls("chat.update")[edits:]}
    assert updated == {"C0CASES"}, "only the root is edited"


def test_reassigning_takes_the_buttons_off_the_old_owners_nudges_only(
    running_app: RunningApp, clock: FakeClock
) -> None:
    app = running_app
    case_id = escalated(app, clock)
    submit = app.slack.view_submission(
        "case_reassign_view",
        {"owner": {"owner": {"type": "users_select", "selected_user": "U0SAVE1"}}},
        user_id="U0MGR",
        private_metadata=json.dumps({"case_id": case_id}),
    )
    assert app.slack.interactive(submit).status == 200
    eventually(lambda: stored_case(app, case_id).owner == "U0SAVE1")
    app.tick()
    for dm in nudges(app, "U0AE"):
        assert buttons(dm) == [] and context(dm).startswith("Now owned by <@U0SAVE1> · <")
    (manager,) = nudges(app, "U0MGR")
    assert buttons(manager) == ["Acknowledge", "Snooze"], "a manager may still act on it"
    press(app, CaseAction.CHURNED, case_id, "U0SAVE1")
    eventually(lambda: stored_case(app, case_id).status == "churned")
    app.tick()
    (manager,) = nudges(app, "U0MGR")
    assert buttons(manager) == [] and context(manager).startswith("Closed: churned by <@U0SAVE1>")
    assert all(context(m).startswith("Now owned by") for m in nudges(app, "U0AE"))


def test_a_deactivated_owner_s_nudges_are_left_alone(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """Handed over as routing falls back (docs/cases.md, *Routing*): a person Slack no longer
    has cannot read a DM, so none of theirs is edited; the manager's keep their buttons."""
    app = running_app
    case_id = escalated(app, clock)
    gone = app.standin.change_user("U0AE", deleted=True)
    assert delivered(app.slack, {"type": "user_change", "user": gone}).status == 200
    eventually(lambda: stored_case(app, case_id).owner == "U0CSM")  # the case's CSM takes it
    app.tick()
    assert not [c for c in app.standin.calls("chat.update") if c.args["channel"] == "D0AE"]
    assert all(buttons(m) == ["Acknowledge", "Snooze"] for m in nudges(app, "U0MGR"))
    assert [p for _, p in stored_case(app, case_id).details["nudge_dms"]] == ["U0MGR"]


def test_the_link_that_follows_a_nudge_does_not_bring_its_buttons_back(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """The case thread could not be posted yet (its channel archived): the nudge went
    without the link, the edit that brings the link waiting for the thread. The case is
    closed meanwhile, so the nudge's buttons give way to the line; once the thread is
    posted, that edit must not put the buttons back (it carries the nudge as first sent)."""
    app = running_app
    app.standin.archive_channel("C0CASES")
    case_id = open_case(app)
    clock.advance(timedelta(seconds=2))
    app.tick()
    (nudge,) = nudges(app, "U0AE")
    assert buttons(nudge) == ["Acknowledge", "Snooze"] and "archived" in nudge["text"]
    press(app, CaseAction.SAVED, case_id, "U0AE")
    eventually(lambda: stored_case(app, case_id).status == "saved")
    app.tick()
    assert [buttons(m) for m in nudges(app, "U0AE")] == [[]]
    app.standin.archive_channel("C0CASES", archived=False)
    clock.advance(timedelta(minutes=20))  # the channel is tried again: the thread is posted
    app.tick()
    assert app.standin.messages("C0CASES"), "the case thread is posted"
    (nudge,) = nudges(app, "U0AE")
    assert buttons(nudge) == [] and context(nudge) == "Closed: saved by <@U0AE>"


def while_nudging(
    app: RunningApp, clock: FakeClock, root_id: int, change: Callable[[], object]
) -> None:
    """Run `change` while the owner's nudge is being queued: its step holds the case row,
    held up at the thread's root (tests/interleave.py)."""
    clock.advance(timedelta(seconds=2))  # the owner's nudge is due
    while_held(app, root_id, app.services.run_steps, change)


@pytest.mark.skipif(not PG_URL, reason="SQLite's one writer never interleaves transactions")
def test_stripe_closing_a_case_while_it_is_nudged_retires_that_nudge_too(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """The owner's nudge is being queued when Stripe says the subscription ended: Stripe's
    change waits for the step and then sees its nudge, so that nudge's buttons give way to
    the line as well (a copy of the case read before the step committed would write back
    `details` without it)."""
    app = running_app
    seed_account(app.services, "acme", "Acme", stripe_customer_id="cus_acme")
    cancel = subscription(cancel_at_period_end=True)
    assert post(app.slack, event("customer.subscription.updated", cancel, at(date(2026, 1, 3))))
    app.tick()
    with app.services.db.read() as session:
        (case,) = session.scalars(select(Case))
    ended = subscription(status="canceled")
    deleted = event("customer.subscription.deleted", ended, at(date(2026, 2, 1)))
    answers: list[int] = []
    while_nudging(
        app, clock, case.root_message_id, lambda: answers.append(post(app.slack, deleted).status)
    )
    assert answers == [200] and stored_case(app, case.id).status == "churned"
    (nudge,) = nudges(app, "U0AE")
    assert buttons(nudge) == [] and context(nudge).startswith("Closed: churned by Stripe")


@pytest.mark.skipif(not PG_URL, reason="SQLite's one writer never interleaves transactions")
def test_stripe_ending_the_subscription_of_a_case_opened_in_slack_while_it_is_nudged(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """As above, for a case Stripe did not open (the account's open churn case)."""
    app = running_app
    case_id = open_case(app)
    with app.services.db.session() as session:
        account = session.get(Account, stored_case(app, case_id).account_id)
        assert account is not None
        account.stripe_customer_id = "cus_acme"
    root_id = stored_case(app, case_id).root_message_id
    assert root_id is not None
    ended = subscription(status="canceled")
    deleted = event("customer.subscription.deleted", ended, at(date(2026, 2, 1)))
    answers: list[int] = []
    while_nudging(app, clock, root_id, lambda: answers.append(post(app.slack, deleted).status))
    assert answers == [200] and stored_case(app, case_id).status == "churned"
    (nudge,) = nudges(app, "U0AE")
    assert buttons(nudge) == [] and context(nudge).startswith("Closed: churned by Stripe")


def set_status(app: RunningApp, user: str, emoji: str, until: datetime | None) -> None:
    """A `user_change` event with `user`'s new status; returns once it is handled."""
    expires = int(until.timestamp()) if until else 0
    changed = app.standin.change_user(
        user, profile={"status_emoji": emoji, "status_expiration": expires}
    )
    assert delivered(app.slack, {"type": "user_change", "user": changed}).status == 200

    def stored() -> bool:
        with app.services.db.read() as session:
            row = session.get(SlackUser, user)
            return row is not None and (row.status_expiration or 0) == expires

    eventually(stored)


@pytest.mark.skipif(not PG_URL, reason="SQLite's one writer never interleaves transactions")
def test_a_hand_back_while_the_cover_is_nudged_takes_that_nudge_s_buttons_off(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """The owner is back (their away status cleared) while their cover's nudge is being
    queued: the hand-back waits for the step and sees its nudge, so the cover's nudge says
    who owns the case now (docs/hours.md, *Time off and cover*)."""
    app = running_app
    set_status(app, "U0AE", ":palm_tree:", clock.now() + timedelta(hours=1))
    app.tick()
    case_id = open_case(app)
    cover = stored_case(app, case_id).owner
    assert cover not in (None, "U0AE")
    root_id = stored_case(app, case_id).root_message_id
    assert root_id is not None

    def back() -> None:
        set_status(app, "U0AE", "", None)
        app.services.run_steps()  # the hand-back, beside the step that nudges the cover

    while_nudging(app, clock, root_id, back)
    assert stored_case(app, case_id).owner == "U0AE"
    (nudge,) = nudges(app, cover)
    assert buttons(nudge) == [] and context(nudge).startswith("Now owned by <@U0AE>")


@pytest.mark.skipif(not PG_URL, reason="SQLite's one writer never interleaves transactions")
def test_an_offer_decided_while_the_case_is_nudged_keeps_that_nudge(
    running_app: RunningApp, clock: FakeClock
) -> None:
    """A manager decides a save offer while the owner's nudge is being queued: the decision
    waits for the step and then sees its nudge, so closing the case retires that nudge's
    buttons (a copy of the case read before the step committed would write back `details`
    without it)."""
    app = running_app
    case_id = open_case(app)
    data = OfferInput("free_months", Decimal(20000), None, "2 months", "keep them", None)
    offer = app.services.offers.propose(case_id, "U0CSM", data)  # the owner's nudge stays due
    assert offer.status == "pending"
    root_id = stored_case(app, case_id).root_message_id
    assert root_id is not None

    def decided() -> None:
        app.services.offers.decide(offer.id, "U0MGR", "approve")

    while_nudging(app, clock, root_id, decided)
    app.services.cases.close(case_id, "U0AE", "saved")
    app.tick()
    (nudge,) = nudges(app, "U0AE")
    assert buttons(nudge) == [] and context(nudge).startswith("Closed: saved by <@U0AE>")
