"""Who holds each role right now: the policy's people references resolved to user IDs,
keeping only real people (bot/people/standing.py): a deactivated member, a bot or someone of
another organisation named in the policy holds no role (docs/cases.md, *Routing*).

Resolved before a unit of work starts, so no Slack call happens inside a transaction.
"""

from __future__ import annotations

import logging
import time as monotonic_time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from bot.people.directory import STANDING_FRESH, Directory, PersonNotFound, is_user_id
from bot.people.standing import Person, PersonFacts, Standing
from bot.policy import ROLE_NAMES, Policy
from bot.ports import SlackError
from storage.db import NestedUnitOfWork

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Team:
    """Role members and every person the policy names, resolved to user IDs up front."""

    roles: dict[str, tuple[str, ...]]
    people: dict[str, tuple[str, ...]] = field(default_factory=dict)
    complete: bool = True  # False: Slack could not be asked about someone (down, timeout)
    dropped: Mapping[str, Person] = field(default_factory=dict)
    """People the policy names who are not real (deactivated, bots, other organisations),
    left out of `roles` and `people`, by user ID: routing and `check` say why."""
    left_out: Mapping[str, tuple[Person, ...]] = field(default_factory=dict)
    """Per role, the people named for it who are not real (so routing can say why a pool
    is empty)."""
    named: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Every policy reference resolved, before the people who are not real were left out."""

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


def resolve_refs(
    directory: Directory, refs: tuple[str, ...], unasked: list[str] | None = None
) -> tuple[str, ...]:
    """User IDs behind references, skipping (and logging) the ones Slack cannot resolve;
    references Slack could not be asked about (down, timeout) are added to `unasked`."""
    found: list[str] = []
    for ref in refs:
        try:
            found.extend(u for u in directory.resolve(ref) if u not in found)
        except PersonNotFound as err:
            log.warning("cannot resolve %s: %s", ref, err)
        except (SlackError, OSError) as err:
            log.warning("cannot resolve %s: %s", ref, err)
            if unasked is not None:
                unasked.append(ref)
    return tuple(found)


def load_team(
    policy: Policy, directory: Directory, fresh_for: timedelta | None = STANDING_FRESH
) -> Team:
    """Resolve every role and person the policy names, and keep the real people only
    (Slack is asked about anyone not seen within `fresh_for`)."""
    unasked: list[str] = []
    roles = {role: resolve_refs(directory, policy.role(role), unasked) for role in ROLE_NAMES}
    people = {ref: resolve_refs(directory, (ref,), unasked) for ref in policy.people()}
    everyone = [u for ids in (*roles.values(), *people.values()) for u in ids]
    standing = directory.people(everyone, fresh_for=fresh_for)
    dropped = {u: p for u, p in standing.items() if not p.real}
    unasked += [u for u, p in standing.items() if p.standing is Standing.UNASKED]

    def real(ids: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(u for u in ids if u not in dropped)

    return Team(
        {role: real(ids) for role, ids in roles.items()},
        {ref: real(ids) for ref, ids in people.items()},
        complete=not unasked,
        dropped=dropped,
        left_out={
            role: tuple(dropped[u] for u in ids if u in dropped) for role, ids in roles.items()
        },
        named=people,
    )


def inactive_lines(policy: Policy, team: Team) -> list[str]:
    """One line per role (then any other policy reference) held by someone who is not a
    real person, e.g. "roles.managers: U0MGR is deactivated in Slack; …"."""
    lines: list[str] = []
    role_refs = [(f"roles.{role}", ref) for role in ROLE_NAMES for ref in policy.role(role)]
    others = sorted(policy.people() - {ref for _, ref in role_refs})
    for where, ref in [*role_refs, *(("the policy", ref) for ref in others)]:
        behind = "" if is_user_id(ref) else f" (in {ref})"
        for user in team.named.get(ref, ()):
            if user in team.dropped:
                why = team.dropped[user].why
                lines.append(f"{where}: {user}{behind} {why}; nothing goes to them")
    return lines


TEAM_TTL_SECONDS = 60
"""How long a resolved team is trusted before people are looked up again (seconds)."""
TEAM_RETRY_SECONDS = 5
"""How soon a team Slack could not fully answer for is looked up again (seconds)."""


class TeamService:
    """The team (roles → people), resolved outside any transaction and kept for a minute.

    Call `current()` before a unit of work starts: resolving may call Slack. Step handlers run
    inside a transaction, so they pass `stale_ok` and get the copy that `Services.run_steps`
    refreshed before the run, never a Slack call mid-transaction.
    """

    def __init__(self, policy: Policy, directory: Directory) -> None:
        self.policy = policy
        self.directory = directory
        self._team: tuple[float, Team] | None = None

    def known(self) -> bool:
        """Whether a team was resolved before (of any age): a click can then be decided
        with it at once, before `views.open` (trigger ids expire after 3 seconds)."""
        return self._team is not None

    def if_fresh(self) -> Team | None:
        """The cached team if it is younger than TEAM_TTL_SECONDS, else None (no Slack call):
        for a unit of work that only needs the team on one of its paths."""
        cached = self._team
        if cached is not None and monotonic_time.monotonic() - cached[0] < TEAM_TTL_SECONDS:
            return cached[1]
        return None

    def current(self, *, stale_ok: bool = False) -> Team:
        """The team; fresh if the cached copy is older than TEAM_TTL_SECONDS (unless stale_ok).

        Raises NestedUnitOfWork inside a unit of work unless `stale_ok` and a team is known:
        resolving asks Slack and writes the answers, which must not happen in a transaction
        (on SQLite it would wait 30 s on the lock its own thread holds).
        """
        cached = self._team
        if self.directory.db.in_unit() and not (stale_ok and cached is not None):
            raise NestedUnitOfWork("the team is resolved before a unit of work, not inside it")
        fresh = cached is not None and monotonic_time.monotonic() - cached[0] < TEAM_TTL_SECONDS
        if cached is not None and (fresh or stale_ok):
            return cached[1]
        team = load_team(self.policy, self.directory)
        now = monotonic_time.monotonic()
        if team.complete:
            self._team = (now, team)
            return team
        # Slack did not answer for someone: keep the last complete team if there is one
        # (a blip must not leave new cases without an owner) and ask again soon.
        if cached is not None and cached[1].complete:
            team = cached[1]
        self._team = (now - TEAM_TTL_SECONDS + TEAM_RETRY_SECONDS, team)
        return team

    def inactive_role_holders(self) -> list[str]:
        """`python app.py check`: each policy role (or other reference) held by someone
        Slack says is deactivated, a bot or of another organisation, asked afresh; people
        Slack cannot answer for are not listed. Calls Slack: never inside a unit of work."""
        return inactive_lines(self.policy, load_team(self.policy, self.directory, timedelta(0)))

    def person_changed(self, facts: PersonFacts) -> bool:
        """Slack says a user changed or joined (`user_change`, `team_join` events): keep what
        it says, and resolve the team again if the policy names them (a deactivated manager
        stops approving at once, not in a minute). False, and nothing done, when the facts
        are older than those stored (a retried event arriving late)."""
        if not self.directory.learn(facts):
            return False
        cached = self._team
        if cached is not None and any(facts.user_id in ids for ids in cached[1].named.values()):
            self._team = None
        return True

    def last(self) -> Team | None:
        """The last team resolved, of any age, without resolving one (None: none yet)."""
        return self._team[1] if self._team is not None else None
