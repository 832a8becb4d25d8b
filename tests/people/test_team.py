"""The team while Slack is unreliable: a blip never leaves new cases without an owner, and
the team is asked for again within seconds, not a minute, once Slack answers."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from bot.people import team as team_module
from bot.people.standing import Person, Standing
from bot.people.team import TEAM_RETRY_SECONDS, TEAM_TTL_SECONDS, TeamService
from bot.policy import parse_policy
from storage.db import Database

POLICY = """
[roles]
managers = ["U0MGR"]
save_desk = ["ana@example.com"]
"""


class FlakyDirectory:
    """Resolves ana's email while `down` is False; otherwise Slack does not answer."""

    def __init__(self) -> None:
        self.down = False
        self.asked = 0
        self.db = Database("sqlite://")  # never opened: only asked whether a unit is open

    def resolve(self, ref: str) -> list[str]:
        self.asked += 1
        if ref.startswith("U"):
            return [ref]
        if self.down:
            raise OSError("connection refused")
        return ["U0ANA"]

    def people(self, user_ids: list[str], fresh_for: object = None) -> dict[str, Person]:
        """Everyone is an active member (their standing is tests/cases/test_real_people.py's)."""
        return {u: Person(u, Standing.ACTIVE) for u in user_ids}


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [1000.0]
    monkeypatch.setattr(team_module, "monotonic_time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_a_blip_keeps_the_last_complete_team_and_asks_again_soon(clock: list[float]) -> None:
    directory = FlakyDirectory()
    service = TeamService(parse_policy(POLICY, "p.toml"), directory)  # type: ignore[arg-type]
    assert service.current().members("save_desk") == ("U0ANA",)
    directory.down = True
    clock[0] += TEAM_TTL_SECONDS + 1
    kept = service.current()
    assert kept.members("save_desk") == ("U0ANA",) and kept.complete
    asked = directory.asked
    clock[0] += TEAM_RETRY_SECONDS - 1
    assert service.if_fresh() is kept and directory.asked == asked
    clock[0] += 2
    assert service.if_fresh() is None, "asked again after seconds, not a minute"


def test_a_team_slack_could_not_answer_for_is_not_kept_for_a_minute(clock: list[float]) -> None:
    directory = FlakyDirectory()
    directory.down = True
    service = TeamService(parse_policy(POLICY, "p.toml"), directory)  # type: ignore[arg-type]
    first = service.current()
    assert first.members("save_desk") == () and not first.complete
    directory.down = False
    clock[0] += TEAM_RETRY_SECONDS + 1
    assert service.current().members("save_desk") == ("U0ANA",)
