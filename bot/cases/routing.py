"""Routing: who owns a new case, by the policy's first matching rule, with fallbacks.

A role with nobody behind it falls back to the account's CSM, then to the managers, and
the reason is kept so the thread can say why. Only real people are chosen (docs/cases.md,
*Routing*): a deactivated member, a bot or someone of another organisation is passed over (the
team's roles hold only real people already; the account's CSM and account owner are checked here),
and the thread names who was passed over and why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.policy import OWNER_ROLE_PEOPLE, Policy
from bot.standing import Person, Standing
from bot.team import Team
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
) -> Routed:
    """Choose the owner for a new case and explain any fallback. `person` tells the
    standing of the account's CSM and account owner (read before: no Slack call here)."""
    rule = policy.route(kind, arr, account.segment)
    passed: list[tuple[str, Person]] = []
    csm = _real(account.csm, "the account's CSM", person, passed)
    holder = account.account_owner
    if rule == "account_owner":
        holder = _real(account.account_owner, "the account owner", person, passed)
    owner = _candidate(rule, team, csm, holder, load_of, resolve_people)
    if owner is None and rule in OWNER_ROLE_PEOPLE:
        left_out = team.left_out.get(OWNER_ROLE_PEOPLE[rule], ())
        passed += [(f"in `{OWNER_ROLE_PEOPLE[rule]}`", p) for p in left_out]
    found = tuple(passed)
    if owner is not None:
        return Routed(owner, rule, None, found, csm)
    why = f"nobody holds `{rule}`"
    if rule != "csm" and csm:
        return Routed(csm, rule, f"{why}, so the account's CSM owns it", found, csm)
    manager = pick_by_load(team.members("managers"), load_of(team.members("managers")))
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
    load_of: Callable[[tuple[str, ...]], Load],
    resolve_people: Callable[[str], tuple[str, ...]],
) -> str | None:
    if rule == "csm":
        return csm
    if rule == "account_owner":
        return account_owner
    if rule in OWNER_ROLE_PEOPLE:
        pool = team.members(OWNER_ROLE_PEOPLE[rule])
        return pick_by_load(pool, load_of(pool))
    pool = resolve_people(rule)  # a person, or everyone in an @group
    return pick_by_load(pool, load_of(pool))


def route_account(
    session: Session,
    policy: Policy,
    team: Team,
    account: Account,
    kind: str,
    arr: Decimal | None,
    person: PersonOf = _everyone_real,
) -> Routed:
    """Route a new case for the account inside the caller's unit of work (it reads the
    open-case counts of a pool; `team` and `person` are resolved beforehand, so nothing
    here calls Slack). `arr` overrides the account's ARR."""
    facts = AccountFacts(account.csm, account.account_owner, account.segment)
    return route(
        policy,
        team,
        facts,
        kind,
        arr if arr is not None else account.arr,
        lambda pool: store.open_case_counts(session, pool),
        team.resolve,
        person,
    )
