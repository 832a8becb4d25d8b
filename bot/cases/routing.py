"""Routing: who owns a new case, by the policy's first matching rule, with fallbacks.

A role with nobody behind it falls back to the account's CSM, then to the managers, and
the reason is kept so the thread can say why.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.policy import OWNER_ROLE_PEOPLE, Policy
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
    owner: str | None
    rule: str
    note: str | None = None


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
) -> Routed:
    """Choose the owner for a new case and explain any fallback."""
    rule = policy.route(kind, arr, account.segment)
    owner = _candidate(rule, team, account, load_of, resolve_people)
    if owner is not None:
        return Routed(owner, rule)
    why = f"nobody holds `{rule}`"
    if rule != "csm" and account.csm:
        return Routed(account.csm, rule, f"{why}, so the account's CSM owns it")
    manager = pick_by_load(team.members("managers"), load_of(team.members("managers")))
    if manager is not None:
        return Routed(manager, rule, f"{why} and the account has no CSM, so a manager owns it")
    return Routed(None, rule, f"{why}, the account has no CSM and no managers are set")


def _candidate(
    rule: str,
    team: Team,
    account: AccountFacts,
    load_of: Callable[[tuple[str, ...]], Load],
    resolve_people: Callable[[str], tuple[str, ...]],
) -> str | None:
    if rule == "csm":
        return account.csm
    if rule == "account_owner":
        return account.account_owner
    if rule in OWNER_ROLE_PEOPLE:
        pool = team.members(OWNER_ROLE_PEOPLE[rule])
        return pick_by_load(pool, load_of(pool))
    pool = resolve_people(rule)  # a person, or everyone in an @group
    return pick_by_load(pool, load_of(pool))


def route_account(
    session: Session, policy: Policy, team: Team, account: Account, kind: str, arr: Decimal | None
) -> Routed:
    """Route a new case for the account inside the caller's unit of work (it reads the
    open-case counts of a pool; `team` is resolved beforehand, so nothing here calls
    Slack). `arr` overrides the account's ARR."""
    facts = AccountFacts(account.csm, account.account_owner, account.segment)
    return route(
        policy,
        team,
        facts,
        kind,
        arr if arr is not None else account.arr,
        lambda pool: store.open_case_counts(session, pool),
        team.resolve,
    )
