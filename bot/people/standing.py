"""Whether a Slack user is a real person of this workspace: an active member, not a
deactivated account, a bot, or someone of another organisation in a Slack Connect channel.

Only real people own cases, approve offers, sit in the save-desk pool or act on a case
(docs/access.md, *Who may do what*). What Slack says about a user (`users.info`, and the
`user_change` / `team_join` events) is kept as `PersonFacts`; the standing is derived from
those facts and the installation's own team, so a Slack Connect guest is told apart from a
colleague. Slack's user object: https://api.slack.com/types/user
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Standing(StrEnum):
    """A user's standing in this workspace, worst first when several apply."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    BOT = "bot"
    EXTERNAL = "external"
    NOT_FOUND = "not_found"
    UNASKED = "unasked"
    """Slack could not be asked (down, timeout) and nothing is known: given the benefit of
    the doubt, so a Slack outage never leaves a new case without an owner."""


REAL = frozenset({Standing.ACTIVE, Standing.UNASKED})

WHY = {
    Standing.DEACTIVATED: "is deactivated in Slack",
    Standing.BOT: "is a bot, not a person",
    Standing.EXTERNAL: "belongs to another organisation (Slack Connect)",
    Standing.NOT_FOUND: "is not a member of this Slack workspace",
}


@dataclass(frozen=True)
class HomeTeam:
    """The installation's workspace (`auth.test`): its team id and, on Enterprise Grid,
    its organisation's id. Both None when Slack has not said yet."""

    team_id: str | None = None
    enterprise_id: str | None = None


@dataclass(frozen=True)
class PersonFacts:
    """What Slack says about one user (the fields of its user object that decide the
    standing). `found` is False when `users.info` answered `user_not_found`."""

    user_id: str
    found: bool = True
    team_id: str | None = None
    enterprise_id: str | None = None
    teams: tuple[str, ...] = ()
    deleted: bool = False
    is_bot: bool = False
    is_app_user: bool = False
    is_stranger: bool = False
    tz: str | None = None
    """IANA time zone (`tz`), deciding when this person is nudged (docs/hours.md)."""
    status_emoji: str | None = None
    status_expiration: int = 0
    """When the status ends, Unix seconds (0: never); Slack's `profile.status_expiration`."""
    updated: int = 0
    """When Slack last changed this user object, Unix seconds (0: unknown); Slack's
    `updated`. Events may arrive out of order (a retry comes late): older facts never
    replace newer ones (`storage.slack_users.remember`)."""

    def standing(self, home: HomeTeam) -> Standing:
        """Deactivated first (a deactivated bot is deactivated), then bot, then another
        organisation's person; otherwise active."""
        if not self.found:
            return Standing.NOT_FOUND
        if self.deleted:
            return Standing.DEACTIVATED
        if self.is_bot or self.is_app_user:
            return Standing.BOT
        if self.is_stranger or not self._same_organisation(home):
            return Standing.EXTERNAL
        return Standing.ACTIVE

    def _same_organisation(self, home: HomeTeam) -> bool:
        """Same workspace, or (Enterprise Grid) the same organisation. Unknown when Slack
        has not said who we are: then only `is_stranger` tells."""
        if home.team_id is None and home.enterprise_id is None:
            return True
        if self.team_id is None and self.enterprise_id is None:
            return True  # an event that did not carry the team: nothing says otherwise
        ours = {t for t in (home.team_id, home.enterprise_id) if t}
        theirs = {t for t in (self.team_id, self.enterprise_id, *self.teams) if t}
        return bool(ours & theirs)


@dataclass(frozen=True)
class Person:
    """A user ID with its standing, as decisions need it."""

    user_id: str
    standing: Standing

    @property
    def real(self) -> bool:
        """Active, or not known to be otherwise (Slack could not be asked)."""
        return self.standing in REAL

    @property
    def why(self) -> str:
        """Why this person cannot hold a role, e.g. "is deactivated in Slack" ("" if real)."""
        return WHY.get(self.standing, "")
