"""Delivered outbound webhook events are forgotten after `WEBHOOK_DELIVERIES_KEEP` (default
30 days), by the sender itself (every `tick` and the worker's loop), while `check` still
shows each endpoint's last delivery and every failed event (docs/webhooks.md)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.cases.models import Signal
from bot.policy import Policy, parse_policy
from bot.runtime.services import Services
from bot.runtime.settings import SettingsError, load_settings
from bot.setup.checkup import database_state
from storage import outbound as webhook_rows
from storage.tables.outbound import WebhookDelivery
from tests.conftest import TEST_POLICY, seed_account
from tests.webhook_receiver import Receiver

KEEP = timedelta(days=30)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def quiet() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def policy(receiver: Receiver, quiet: Receiver) -> Policy:
    toml = TEST_POLICY + receiver.policy() + quiet.policy(["invoice.ladder_step"])
    return parse_policy(toml, "webhooks.toml")


def open_case(services: Services, key: str) -> None:
    account = seed_account(services, key, key.title())
    services.cases.open(account, Signal(kind="cancellation", source="test"))
    services.tick()


def kept(services: Services) -> list[tuple[str, str]]:
    """(event's account, state) of every delivery still stored."""
    with services.db.read() as session:
        return [
            (row.body.split('"external_id": "')[1].split('"')[0], row.state)
            for row in webhook_rows.for_event(session)
        ]


def stuck(services: Services, receiver: Receiver) -> None:
    """A failed delivery (retried for a day, long ago) and one waiting for a retry."""
    now = services.clock.now()
    body = '{"type": "case.opened", "data": {"case": {"account": {"external_id": "%s"}}}}'
    with services.db.session() as session:
        for n, state in enumerate(("failed", "pending")):
            session.add(
                WebhookDelivery(
                    event_id=f"msg_{state}", event_type="case.opened", url=receiver.url,
                    body=body % state, state=state, attempts=8, created_at=now - 2 * KEEP,
                    last_attempt_at=now - 2 * KEEP + timedelta(minutes=n), last_status=500,
                    next_attempt_at=now + timedelta(days=365), last_error="answered HTTP 500",
                )
            )  # fmt: skip


def test_delivered_events_are_forgotten_after_the_retention_but_check_stays_right(
    services: Services, receiver: Receiver, quiet: Receiver
) -> None:
    assert services.settings.webhook_deliveries_keep == KEEP
    stuck(services, receiver)
    open_case(services, "acme")
    services.clock.advance(timedelta(hours=1))
    open_case(services, "globex")
    assert kept(services) == [("failed", "failed"), ("pending", "pending"),
                              ("acme", "delivered"), ("globex", "delivered")]  # fmt: skip
    before = database_state(services.db, services.policy)

    services.clock.advance(KEEP - timedelta(minutes=30))
    services.tick()  # acme's was delivered 30 days 30 minutes ago, globex's 29 days 23.5 h
    assert kept(services)[2:] == [("globex", "delivered")]
    services.clock.advance(timedelta(days=1))
    services.tick()
    assert kept(services)[2:] == [("globex", "delivered")]  # the endpoint's last delivery
    after = database_state(services.db, services.policy)
    assert after.notes == before.notes and after.problems == before.problems
    assert after.notes[0].endswith("case.opened delivered (HTTP 204); 1 waiting")
    assert after.notes[1].endswith("no delivery attempted yet; 0 waiting")
    assert any("1 event(s) could not be delivered" in p for p in after.problems)

    open_case(services, "initech")
    services.clock.advance(KEEP + timedelta(hours=2))
    services.tick()
    assert kept(services) == [("failed", "failed"), ("pending", "pending"),
                              ("initech", "delivered")]  # fmt: skip
    assert len(receiver.accepted()) == 3 and quiet.seen == []


def test_the_sender_prunes_at_most_hourly(services: Services, receiver: Receiver) -> None:
    start = services.clock.now()
    open_case(services, "acme")  # its tick prunes (nothing yet)
    services.clock.advance(timedelta(minutes=40))
    open_case(services, "globex")
    services.clock.advance(timedelta(hours=2))
    open_case(services, "initech")  # the endpoint's last delivery, kept whatever its age
    services.clock.set(start + KEEP + timedelta(minutes=10))
    assert services.webhooks.prune() == 1  # acme's
    services.clock.advance(timedelta(minutes=40))  # globex's is now 30 days old too
    assert services.webhooks.prune() == 0  # pruned 40 minutes ago: not yet
    assert services.webhooks.prune(force=True) == 1
    assert kept(services) == [("initech", "delivered")]


@pytest.mark.parametrize(
    ("value", "keep", "error"),
    [
        (None, KEEP, None),
        ("2w", timedelta(days=14), None),
        ("90d", timedelta(days=90), None),
        ("10m", None, "WEBHOOK_DELIVERIES_KEEP: '10m' is shorter than an hour"),
        ("a month", None, "WEBHOOK_DELIVERIES_KEEP: 'a month' is not a duration"),
    ],
)
def test_the_retention_setting(
    value: str | None, keep: timedelta | None, error: str | None
) -> None:
    env = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s3cret-value"}
    if value is not None:
        env["WEBHOOK_DELIVERIES_KEEP"] = value
    if error is not None:
        with pytest.raises(SettingsError, match=error):
            load_settings(env)
        return
    settings = load_settings(env)
    assert settings.webhook_deliveries_keep == keep
    assert "Outbound webhook deliveries: delivered ones kept" in settings.describe()
