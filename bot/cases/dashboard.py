"""What App Home shows a person: their open cases, their follow-ups, and for leads every
open case. Plain data, gathered in one place so the handler only renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.cases.models import CaseItem, CaseListing
from bot.cases.service import CaseService
from bot.common.vocab import STEP_LABELS, CaseScope
from bot.followups.service import REMINDER
from bot.people.access import Action
from storage import cases as case_store
from storage import home as home_store

LIMIT = 20
"""Rows per list: three full lists plus headings stay well under Slack's 100 blocks."""


def step_label(kind: str) -> str:
    return STEP_LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True)
class FollowUp:
    """One pending scheduled step, with the case it belongs to."""

    kind: str
    due_at: datetime
    item: CaseItem


@dataclass(frozen=True)
class FollowUps:
    items: list[FollowUp]
    total: int


@dataclass(frozen=True)
class HomePage:
    user: str
    now: datetime
    mine: CaseListing
    followups: FollowUps
    everyone: CaseListing | None
    """Every open case; only for those who see revenue figures (managers and admins,
    bot.people.access), else None."""


def load_home(cases: CaseService, user: str, limit: int = LIMIT) -> HomePage:
    """Everything the home tab needs, read after Slack has been acknowledged: nothing for
    someone who is not a member (another organisation's people, deactivated accounts);
    every open case only for those who see revenue figures (bot.people.access, REVENUE)."""
    acting = cases.access.actor(user)
    now = cases.clock.now()
    if not acting.may(Action.MY_CASES):
        return HomePage(user, now, CaseListing([], 0), FollowUps([], 0), None)
    return HomePage(
        user=user,
        now=now,
        mine=cases.listing(CaseScope.MINE, user, limit),
        followups=followups(cases, user, limit),
        everyone=cases.listing(CaseScope.OPEN, user, limit) if acting.may(Action.REVENUE) else None,
    )


def followups(cases: CaseService, user: str, limit: int = LIMIT) -> FollowUps:
    """Pending steps on the open cases `user` owns or is CSM of, and the reminders they set
    themselves (on any open case), soonest first."""
    with cases.db.read() as session:
        rows, total = home_store.pending_followups(session, user, limit, personal_kind=REMINDER)
        links = case_store.permalinks(session, [case for _, case, _ in rows])
        items = [
            FollowUp(step.kind, step.due_at, CaseItem.of(case, account, links.get(case.id)))
            for step, case, account in rows
        ]
    return FollowUps(items, total)
