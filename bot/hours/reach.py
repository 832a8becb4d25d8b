"""Reaching people in their own hours (docs/hours.md).

A scheduled step that notifies people (a nudge, an escalation, an approval nudge, a ladder
ping, a survey reminder) asks `reach` whom to DM now: someone away is replaced by their
cover; someone outside their working window gets a copy of the step, due at the start of
their next window and marked for them only, so the step's handler runs again then, checks
again that the nudge still applies, and DMs only them (no second thread line). The
escalation clock (`ladder_due`) counts the owner's working time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from bot.cases.routing import pick_by_load
from bot.common.formatting import time_token
from bot.common.text import who
from bot.hours.presence import Presence, calendar_of
from bot.people.team import Team
from bot.policy import Policy
from storage import cases as case_store
from storage import steps as step_store
from storage.models import ScheduledStep

ONLY = "only"
"""Payload key of a step's copy for one person: "DM only this user"."""


@dataclass
class Reached:
    """`now`: people to DM now; `notes`: "<@U1> is away until …, covered by <@U2>" lines;
    `later`: people whose copy of the step waits for their window."""

    now: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    later: list[str] = field(default_factory=list)


def is_copy(step: ScheduledStep) -> bool:
    """True for a step's copy for one person (its thread line was said already)."""
    return bool(step.payload.get(ONLY))


def reach(
    session: Session,
    policy: Policy,
    team: Team,
    step: ScheduledStep,
    people: Iterable[str | None],
    now: datetime,
) -> Reached:
    """Whom to DM now for `step` (see the module's docstring); copies for the others are
    scheduled in the caller's unit of work. A copy reaches its one person, checked again
    when it runs: their cover if they went away meanwhile, and later again if their hours
    changed so that they are out of them."""
    only = step.payload.get(ONLY)
    presence = Presence(session, policy, now)
    reached = Reached()
    for person in [str(only)] if only else dict.fromkeys(p for p in people if p):
        target = covering(session, presence, team, person, reached.notes)
        if target is None or target in reached.now or target in reached.later:
            continue
        opens = presence.calendar(target).next_open(now)
        if opens <= now:
            reached.now.append(target)
            continue
        reached.later.append(target)
        key = f"{step.key}@{int(opens.timestamp())}" if only else f"{step.key}>{target}"
        step_store.schedule(
            session,
            key=key[:200],
            kind=step.kind,
            due_at=opens,
            now=now,
            case_id=step.case_id,
            payload={**step.payload, ONLY: target},
        )
    return reached


def covering(
    session: Session, presence: Presence, team: Team, person: str, notes: list[str]
) -> str | None:
    """`person`, or their cover while they are away (a note says so); the away person when
    nobody can cover."""
    off = presence.away(person)
    if off is None:
        return person

    def by_load(pool: tuple[str, ...]) -> str | None:
        return pick_by_load(pool, case_store.open_case_counts(session, pool))

    cover = presence.cover(person, (team.members("save_desk"), team.members("managers")), by_load)
    until = time_token(off.ends_at)
    if cover is None:
        notes.append(f"{who(person)} is away until {until} and nobody can cover.")
        return person
    notes.append(f"{who(person)} is away until {until}, covered by {who(cover)}.")
    return cover


def ladder_due(
    session: Session, policy: Policy, owner: str | None, start: datetime, delay: timedelta
) -> datetime:
    """When an escalation rung `delay` after `start` is due: the owner's working time
    (policy `people.escalation_clock = "working"`), else elapsed time landing in their
    next working window."""
    calendar = calendar_of(session, policy, owner)
    if policy.people_rules.working_clock:
        return calendar.add_working(start, delay)
    return calendar.add_elapsed(start, delay)


def in_hours(session: Session, policy: Policy, person: str | None, at: datetime) -> datetime:
    """`at`, or the start of the person's next working window after it."""
    return calendar_of(session, policy, person).next_open(at)
