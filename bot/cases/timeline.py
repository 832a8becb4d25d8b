"""The case timeline: every change to a case is an event row, and the thread's root is
edited in place (same `ts`) to show the case as it is now. A change people need to read
(a note, a reason, a request with buttons) is also a reply in the thread; a change the
root already shows (status, owner, risk) is not: the root shows it as its latest change
instead, as Slack paces new messages in a channel to about one a second and every reply
delays the next case's root (docs/cases.md, *The case thread*).

The one small service every domain calls to say something happened to a case (offers,
turnover, survey, finance, Stripe), inside the caller's unit of work, so the event and the
outbox rows it queues commit with the change (one outbox: docs/ARCHITECTURE.md)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.models import AccountView, CaseView
from bot.common.clock import Clock
from bot.common.vocab import CaseEventType, CaseStatus
from bot.followups import service as followups
from bot.policy import Policy
from bot.ports import Presenter
from storage import cases as store
from storage.models import OPEN_STATUSES, Account, Case, OutboxMessage

LATEST = "latest"
"""The key in `cases.details` of the last change shown on the root instead of in the
thread: {"text": mrkdwn, "at": ISO 8601 UTC}."""

RootLines = Callable[[Session, Case], list[str]]
"""Lines another domain adds to a case's root (e.g. each departed contact's plan progress)."""
StopsEscalation = Callable[[str, Case], bool]
"""Whether this person's act stops the case's escalation (the owner's or a manager's)."""


def _anyone(_actor: str, _case: Case) -> bool:
    return True


EventListener = Callable[[Session, Case, str | None, CaseEventType, dict[str, Any], datetime], None]
"""Told of every timeline event in its unit of work: (session, case, actor, type, details,
at); e.g. outbound webhooks (bot/outbound/service.py)."""


class Timeline:
    """Events, thread lines and the root of every case, for every domain."""

    def __init__(
        self,
        clock: Clock,
        policy: Policy,
        presenter: Presenter,
        stops_escalation: StopsEscalation = _anyone,
        *,
        listeners: Sequence[EventListener] = (),
        root_lines: Sequence[RootLines] = (),
    ) -> None:
        """`listeners` and `root_lines` (other domains' lines on the root: turnover) are
        fixed here, by the composition root (docs/ARCHITECTURE.md, *Composition root*)."""
        self.clock = clock
        self.presenter = presenter  # every domain's messages (bot.ports.Presenter)
        self.policy = policy
        self.stops_escalation = stops_escalation
        self.root_lines: tuple[RootLines, ...] = tuple(root_lines)
        self.listeners: tuple[EventListener, ...] = tuple(listeners)

    def line(
        self,
        session: Session,
        case: Case,
        actor: str | None,
        type: CaseEventType,
        text: str,
        details: dict[str, Any] | None = None,
        *,
        blocks: list[dict] | None = None,
        at: datetime | None = None,
        in_thread: bool = True,
    ) -> OutboxMessage | None:
        """A timeline event (`type`, e.g. `NOTE`) at `at` (UTC; default now), also posted
        as a reply in the case thread (with `blocks` when given, e.g. a button) unless
        `in_thread` is False (the root or another message already shows it); returns that
        reply's outbox row, so a button on it can be retired later. Nobody's follow-up
        timers move: use `acted` when a person acted on the case."""
        now = at or self.clock.now()
        store.add_event(session, case, at=now, actor=actor, type=type, text=text, details=details)
        for listener in self.listeners:
            listener(session, case, actor, type, details or {}, now)
        if not in_thread:
            return None
        root = store.root_message(session, case)
        if root is None:
            return None
        return outbox.reply(session, now, root, text, blocks, flush=False)

    def show_latest(self, case: Case, text: str, at: datetime | None = None) -> None:
        """Show `text` (mrkdwn) on the root as the case's latest change, at `at` (UTC;
        default now), instead of a reply; the caller refreshes (or posts) the root."""
        when = (at or self.clock.now()).isoformat()
        case.details = {**(case.details or {}), LATEST: {"text": text, "at": when}}

    def acted(
        self,
        session: Session,
        case: Case,
        account: Account,
        actor: str | None,
        type: CaseEventType,
        text: str,
        details: dict[str, Any] | None = None,
        *,
        opening: bool = False,
        in_thread: bool = True,
    ) -> None:
        """Someone (or, with `actor` None, a system) changed the case: the line, the root
        refreshed (naming it as the latest change), and the follow-up ladder rescheduled
        from now. With `in_thread` False a message edited in place already shows it, and
        nothing is posted in the thread. While a new case is escalating, only the owner's or
        a manager's act (or a system's change) stops it: anyone else's act is recorded and
        the ladder goes on (docs/escalation.md, *Follow-ups*). The owner's or a manager's
        first act is the case's `acknowledged_at` (docs/reports.md, *Stage times*); a
        system's change, anyone else's act and an act that is part of opening the case
        (`opening`, e.g. the modal that opened it) never are."""
        now = self.clock.now()
        case.updated_at = now
        escalating = case.status == CaseStatus.NEW and case.last_action_at is None
        acknowledges = bool(actor) and not opening and self.stops_escalation(actor or "", case)
        counts = not opening and (actor is None or not escalating or acknowledges)
        if actor and counts:
            case.last_action_at = now
        if acknowledges and case.acknowledged_at is None:  # the stage time to acknowledge stops
            case.acknowledged_at = now
        self.line(session, case, actor, type, text, details, in_thread=in_thread)
        self.show_latest(case, text, now)  # a line or not, the root names the latest change
        self.refresh_root(session, case, account)
        if counts:
            followups.case_acted(session, self.policy, case, now)

    def by_system(
        self,
        session: Session,
        case: Case,
        type: CaseEventType,
        text: str,
        details: dict[str, Any] | None = None,
        *,
        in_thread: bool = True,
    ) -> None:
        """A line from another system (Stripe, the dunning ladder); an open case's root is
        refreshed, follow-up timers are not (no person acted). `in_thread` False: the
        root shows it (as `acted`)."""
        self.line(session, case, None, type, text, details, in_thread=in_thread)
        if not in_thread:
            self.show_latest(case, text)
        if case.status in OPEN_STATUSES or not in_thread:
            account = session.get(Account, case.account_id)
            assert account is not None
            self.refresh_root(session, case, account)

    def root(self, session: Session, case: Case, account: Account) -> tuple[str, list[dict]]:
        """The root message's text and blocks, with every other domain's lines."""
        extra = [line for source in self.root_lines for line in source(session, case)]
        return self.presenter.case_root(CaseView.of(case), AccountView.of(account), extra)

    def refresh_root(self, session: Session, case: Case, account: Account) -> None:
        """Edit the thread's root in place to show the case as it is now."""
        root = store.root_message(session, case)
        if root is not None:
            text, blocks = self.root(session, case, account)
            outbox.update(session, self.clock.now(), root, text, blocks)
