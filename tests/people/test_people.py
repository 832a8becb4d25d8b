"""People references: emails and @groups resolved through Slack, cached, and still known
while Slack is down."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.common.clock import FakeClock
from bot.people.directory import PersonNotFound
from bot.ports import SlackError
from bot.runtime.services import Services
from demo.standin import SlackStandin


def test_email_is_cached_then_refreshed(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.add_user("U0ANA", email="ana@example.com")
    assert services.directory.resolve("ana@example.com") == ["U0ANA"]
    assert services.directory.resolve("Ana@Example.com") == ["U0ANA"]
    assert len(standin.calls("users.lookupByEmail")) == 1
    clock.advance(timedelta(hours=1))
    services.directory.resolve("ana@example.com")
    assert len(standin.calls("users.lookupByEmail")) == 2


def test_slack_down_falls_back_to_what_slack_said_before(
    services: Services, standin: SlackStandin, clock: FakeClock
) -> None:
    standin.add_usergroup("S0LEADS", "cs-leads", ["U0MGR", "U0MGR2"])
    assert services.directory.resolve("@cs-leads") == ["U0MGR", "U0MGR2"]
    clock.advance(timedelta(days=2))
    standin.set_down(True)
    assert services.directory.resolve("@cs-leads") == ["U0MGR", "U0MGR2"]


def test_never_resolved_and_slack_down_is_an_error(
    services: Services, standin: SlackStandin
) -> None:
    standin.set_down(True)
    with pytest.raises(SlackError):
        services.directory.resolve("new@example.com")


def test_an_empty_group_is_nobody(services: Services, standin: SlackStandin) -> None:
    standin.add_usergroup("S0EMPTY", "empty", [])
    with pytest.raises(PersonNotFound, match="nobody"):
        services.directory.resolve_one("@empty")
