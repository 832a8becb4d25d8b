"""Slack's user object read into `bot.people.standing.PersonFacts`: the one place that knows its
shape (`users.info`, and the `user_change` / `team_join` events carry the same object).
Fields: https://api.slack.com/types/user (`deleted`, `is_bot`, `is_app_user`,
`is_stranger`, `team_id`, `enterprise_user`, `tz`, `profile.status_emoji`,
`profile.status_expiration`, `updated`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.people.standing import HomeTeam, PersonFacts


def person_facts(user: Any) -> PersonFacts | None:
    """The facts in a user object, or None when it is not one (no object, or no user ID:
    the event is then acknowledged and changes nothing)."""
    if not isinstance(user, Mapping):
        return None
    user_id = str(user.get("id") or "")
    if not user_id:
        return None
    grid = user.get("enterprise_user") or {}
    teams = grid.get("teams") if isinstance(grid, Mapping) else None
    profile = user.get("profile") if isinstance(user.get("profile"), Mapping) else {}
    return PersonFacts(
        user_id=user_id,
        team_id=_text(user.get("team_id")),
        enterprise_id=_text(grid.get("enterprise_id")) if isinstance(grid, Mapping) else None,
        teams=tuple(str(t) for t in teams) if isinstance(teams, list) else (),
        deleted=bool(user.get("deleted")),
        is_bot=bool(user.get("is_bot")),
        is_app_user=bool(user.get("is_app_user")),
        is_stranger=bool(user.get("is_stranger")),
        tz=_text(user.get("tz")),
        status_emoji=_text(profile.get("status_emoji")),
        status_expiration=_seconds(profile.get("status_expiration")),
        updated=_seconds(user.get("updated")),
    )


def home_team(auth_test: Mapping[str, Any]) -> HomeTeam:
    """The installation's team from an `auth.test` answer."""
    return HomeTeam(_text(auth_test.get("team_id")), _text(auth_test.get("enterprise_id")))


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _seconds(value: Any) -> int:
    try:
        return max(int(value or 0), 0)
    except (TypeError, ValueError):
        return 0
