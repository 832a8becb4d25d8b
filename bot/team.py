"""Who holds each role right now: the policy's people references resolved to user IDs.

Resolved before a unit of work starts, so no Slack call happens inside a transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_sdk.errors import SlackApiError

from bot.people import Directory, PersonNotFound
from bot.policy import ROLE_NAMES, Policy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Team:
    roles: dict[str, tuple[str, ...]]

    def members(self, role: str) -> tuple[str, ...]:
        return self.roles.get(role, ())

    def is_manager(self, user: str) -> bool:
        return user in self.members("managers")

    def is_admin(self, user: str) -> bool:
        return user in self.members("admins")

    def is_lead(self, user: str) -> bool:
        """Managers and admins may act on any case."""
        return self.is_manager(user) or self.is_admin(user)


def resolve_refs(directory: Directory, refs: tuple[str, ...]) -> tuple[str, ...]:
    """User IDs behind references, skipping (and logging) the ones Slack cannot resolve."""
    found: list[str] = []
    for ref in refs:
        try:
            found.extend(u for u in directory.resolve(ref) if u not in found)
        except (PersonNotFound, SlackApiError, OSError) as err:
            log.warning("cannot resolve %s: %s", ref, err)
    return tuple(found)


def load_team(policy: Policy, directory: Directory) -> Team:
    return Team({role: resolve_refs(directory, policy.role(role)) for role in ROLE_NAMES})
