"""An endpoint that does not answer (each attempt waits out the 10 s timeout) must not hold
up the other endpoints' events: after its first unanswered attempt in a pass, the sender
leaves its other due events for the next pass (docs/webhooks.md, *Delivery*)."""

from __future__ import annotations

import base64

import pytest

from bot.outbound.delivery import RETRY_SCHEDULE, WebhookSender
from bot.outbound.service import publish
from bot.policy import Policy, parse_policy
from bot.runtime.services import Services
from storage import outbound as webhook_rows
from tests.conftest import TEST_POLICY

DOWN, UP = "https://down.example.com/hook", "https://up.example.com/hook"
SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()


@pytest.fixture
def policy() -> Policy:
    endpoints = "".join(
        f'\n[[outbound_webhooks]]\nurl = "{url}"\nsecret = "{SECRET}"\n' for url in (DOWN, UP)
    )
    return parse_policy(TEST_POLICY + endpoints, "webhooks.toml")


def test_an_endpoint_that_never_answers_is_tried_once_a_pass(services: Services) -> None:
    calls: list[str] = []

    def post(url: str, body: bytes, headers: dict[str, str]) -> int | None:
        calls.append(url)
        return None if url == DOWN else 204  # DOWN: no answer within the timeout

    with services.db.session() as session:
        for n in range(3):
            publish(session, services.policy, services.clock.now(), "case.opened", {"n": n})
    sender = WebhookSender(services.db, services.policy, services.clock, post=post)
    sender.run_once()
    assert calls.count(UP) == 3
    assert calls.count(DOWN) == 1  # one timeout, not three in a row
    with services.db.read() as session:
        down = [r for r in webhook_rows.for_event(session) if r.url == DOWN]
    assert sorted(r.attempts for r in down) == [0, 0, 1]  # the others wait, untried
    services.clock.advance(RETRY_SCHEDULE[0])
    calls.clear()
    sender.run_once()
    assert calls == [DOWN]  # the next pass probes it once again
