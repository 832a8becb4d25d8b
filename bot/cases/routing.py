"""Routing: who owns a new case, by the policy's first matching rule, with fallbacks.

A role with nobody behind it falls back to the account's CSM, then to the managers, and
the reason is kept so the thread can say why. Only real people are chosen (docs/cases.md,
*Routing*): a deactivated member, a bot or someone of another organisation is passed over (the
team's roles hold only real people already; the account's CSM and account owner are checked here),
and the thread names who was passed over and why. Someone away is covered (docs/hours.md): a
case that would be theirs goes to their cover, and a pool (the save desk, the managers) skips
the people who are away or outside their working hours for longer than `acknowledge_within`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.common.formatting import time_token
from bot.common.text import who
from bot.hours.presence import Presence
from bot.people.standing import Person, Standing
from bot.people.team import Team
from bot.policy import OWNER_ROLE_PEOPLE, OwnerRole, Policy, RoutingRule
from storage import cases as store
from storage.models import Account

Load = Mapping[str, tuple[int, datetime | None]]
EPOCH = datetime.min


@dataclass(frozen=True)
class AccountFacts:
    csm: str | None
    account_owner: str | None
    segment: str | None


@dataclass(frozen=True)
class Routed:
    """The owner (None: nobody could be found), the rule that matched, why it fell back,
    the people passed over as (what they are to the case, who), and the case's CSM: the
    account's, when that is a real person."""

    owner: str | None
    rule: str
    note: str | None = None
    passed_over: tuple[tuple[str, Person], ...] = ()
    csm: str | None = None
    covering: str | None = None
    """Who the owner covers for (away when the case opened), else None."""
    time_off_id: int | None = None
    matched: RoutingRule | None = None
    """The `[[routing]]` entry that matched (None: none did), for the thread's words."""


PersonOf = Callable[[str], Person]


def _everyone_real(user: str) -> Person:
    return Person(user, Standing.ACTIVE)


def pick_by_load(pool: tuple[str, ...], load: Load) -> str | None:
    """Fewest open cases; ties go to whoever was assigned least recently (then pool order)."""
    if not pool:
        return None

    def key(person: str) -> tuple[int, datetime]:
        count, last = load.get(person, (0, None))
        return count, (last.replace(tzinfo=None) if last else EPOCH)

    return min(pool, key=key)


def route(
    policy: Policy,
    team: Team,
    account: AccountFacts,
    kind: str,
    arr: Decimal | None,
    load_of: Callable[[tuple[str, ...]], Load],
    resolve_people: Callable[[str], tuple[str, ...]],
    person: PersonOf = _everyone_real,
    presence: Presence | None = None,
) -> Routed:
    """Choose the owner for a new case and explain any fallback. `person` tells the
    standing of the account's CSM and account owner (read before: no Slack call here);
    `presence` who is away or out of hours (None: everyone is at work)."""
    rule = policy.route(kind, arr, account.segment)
    passed: list[tuple[str, Person]] = []
    csm = _real(account.csm, "the account's CSM", person, passed)
    holder = account.account_owner
    if rule == OwnerRole.ACCOUNT_OWNER:
        holder = _real(account.account_owner, "the account owner", person, passed)
    here = _Here(presence, policy.escalation.acknowledge_within, team, load_of)
    owner = _candidate(rule, team, csm, holder, here.pick, resolve_people)
    if owner is None and rule in OWNER_ROLE_PEOPLE:
        left_out = team.left_out.get(OWNER_ROLE_PEOPLE[rule], ())
        passed += [(f"in `{OWNER_ROLE_PEOPLE[rule]}`", p) for p in left_out]
    found = tuple(passed)
    if owner is not None:
        return here.covered(Routed(owner, rule, None, found, csm))
    why = f"nobody holds `{rule}`"
    if rule != OwnerRole.CSM and csm:
        return here.covered(Routed(csm, rule, f"{why}, so the account's CSM owns it", found, csm))
    manager = here.pick(team.members("managers"))
    if manager is not None:
        note = f"{why} and the account has no CSM, so a manager owns it"
        return Routed(manager, rule, note, found, csm)
    note = f"{why}, the account has no CSM and no managers are set"
    return Routed(None, rule, note, found, csm)


def _real(
    user: str | None, what: str, person: PersonOf, passed: list[tuple[str, Person]]
) -> str | None:
    """`user` if a real person, else None (and noted in `passed`)."""
    if not user:
        return None
    standing = person(user)
    if standing.real:
        return user
    passed.append((what, standing))
    return None


def _candidate(
    rule: str,
    team: Team,
    csm: str | None,
    account_owner: str | None,
    pick: Callable[[tuple[str, ...]], str | None],
    resolve_people: Callable[[str], tuple[str, ...]],
) -> str | None:
    if rule == OwnerRole.CSM:
        return csm
    if rule == OwnerRole.ACCOUNT_OWNER:
        return account_owner
    if rule in OWNER_ROLE_PEOPLE:
        return pick(team.members(OWNER_ROLE_PEOPLE[rule]))
    pool = resolve_people(rule)  # a person, or everyone in an @group
    return pick(pool) if len(pool) > 1 else (pool[0] if pool else None)


class _Here:
    """Routing's view of who is at work: pools skip people away or out of their working
    hours for longer than `acknowledge_within`; a single owner who is away is covered."""

    def __init__(
        self,
        presence: Presence | None,
        within: timedelta,
        team: Team,
        load_of: Callable[[tuple[str, ...]], Load],
    ) -> None:
        self.presence = presence
        self.within = within
        self.team = team
        self.load_of = load_of

    def _by_load(self, pool: tuple[str, ...]) -> str | None:
        return pick_by_load(pool, self.load_of(pool))

    def pick(self, pool: tuple[str, ...]) -> str | None:
        """The least-loaded member at work soon; else any not away; else any (whose cover
        then takes the case)."""
        presence = self.presence
        if presence is None:
            return self._by_load(pool)
        soon = tuple(p for p in pool if presence.available(p, self.within))
        here = soon or tuple(p for p in pool if presence.away(p) is None)
        return self._by_load(here or pool)

    def covered(self, routed: Routed) -> Routed:
        """`routed` as is, or given to the owner's cover while the owner is away."""
        presence, owner = self.presence, routed.owner
        off = presence.away(owner) if presence is not None and owner else None
        if presence is None or off is None or owner is None:
            return routed
        pools = (self.team.members("save_desk"), self.team.members("managers"))
        cover = presence.cover(owner, pools, self._by_load)
        away = f"{who(owner)} is away until {time_token(off.ends_at)}"
        if cover is None:
            note = f"{away} and nobody can cover"
            return replace(routed, note=_join(routed.note, note))
        note = f"{away}, covered by {who(cover)}"
        return replace(
            routed, owner=cover, covering=owner, time_off_id=off.id, note=_join(routed.note, note)
        )


def _join(first: str | None, second: str) -> str:
    return f"{first}; {second}" if first else second


def route_account(
    session: Session,
    policy: Policy,
    team: Team,
    account: Account,
    kind: str,
    arr: Decimal | None,
    person: PersonOf = _everyone_real,
    now: datetime | None = None,
) -> Routed:
    """Route a new case for the account inside the caller's unit of work (it reads the
    open-case counts of a pool, and who is away or out of hours at `now`; `team` and
    `person` are resolved beforehand, so nothing here calls Slack). `arr` overrides the
    account's ARR."""
    facts = AccountFacts(account.csm, account.account_owner, account.segment)
    arr = arr if arr is not None else account.arr
    matched = next((r for r in policy.routing if r.matches(kind, arr, account.segment)), None)
    return replace(
        route(
            policy,
            team,
            facts,
            kind,
            arr,
            lambda pool: store.open_case_counts(session, pool),
            team.resolve,
            person,
            Presence(session, policy, now) if now is not None else None,
        ),
        matched=matched,
    )
