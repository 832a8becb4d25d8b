"""Who holds each role right now: the policy's people references resolved to user IDs.

Resolved before a unit of work starts, so no Slack call happens inside a transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from bot.people import Directory, PersonNotFound, is_user_id
from bot.policy import ROLE_NAMES, Policy
from bot.ports import SlackError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Team:
    """Role members and every person the policy names, resolved to user IDs up front."""

    roles: dict[str, tuple[str, ...]]
    people: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve(self, ref: str) -> tuple[str, ...]:
        """User IDs behind a policy reference (a user ID stands for itself)."""
        return self.people.get(ref, (ref,) if is_user_id(ref) else ())

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
        except (PersonNotFound, SlackError, OSError) as err:
            log.warning("cannot resolve %s: %s", ref, err)
    return tuple(found)


def load_team(policy: Policy, directory: Directory) -> Team:
    roles = {role: resolve_refs(directory, policy.role(role)) for role in ROLE_NAMES}
    people = {ref: resolve_refs(directory, (ref,)) for ref in policy.people()}
    return Team(roles, people)
