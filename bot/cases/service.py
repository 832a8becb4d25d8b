"""Cases: every signal becomes one owned case, and every change goes through here.

A status changes only in `Lifecycle.transition` (a table of allowed moves): stamped,
recorded on the `Timeline` and announced in one unit of work. Who may do what is decided
here from the policy's roles; a refusal raises `Refused` with the sentence to show, and
changes nothing. Other systems'
changes (Stripe) come through `external.py`."""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import outbox
from bot.cases.actions import CaseActions, Handover
from bot.cases.external import ExternalEvents
from bot.cases.lifecycle import MOVE_ON_REQUEST, Lifecycle
from bot.cases.models import (
    AccountView,
    CaseItem,
    CaseListing,
    CaseView,
    ExternalAccount,
    Opened,
    Refused,
    Signal,
)
from bot.cases.routing import PersonOf, Routed, route_account
from bot.cases.routing_words import opened_line
from bot.cases.timeline import LATEST, StopsEscalation, Timeline
from bot.cases.words import kind_label, owner_dm
from bot.common.clock import Clock
from bot.common.lookup import AccountMatch, find_account
from bot.common.text import esc, quiet, who
from bot.common.vocab import CaseEventType, CaseScope, CaseStatus, RiskLevel, track_of
from bot.followups import service as followups
from bot.people.access import Access, Action, Actor, Involved
from bot.people.standing import Person, Standing
from bot.people.team import Team, TeamService
from bot.policy import Policy
from storage import accounts as accounts_store
from storage import cases as store
from storage import hours as hours_store
from storage.db import Database
from storage.models import OPEN_STATUSES, Account, Case
from storage.tables.hours import TimeOff

log = logging.getLogger(__name__)


OWN_DETAILS = frozenset({LATEST, MOVE_ON_REQUEST, "survey", "overdue_invoice"})
"""Keys of `cases.details` Savedesk itself writes (and the root shows): a signal's own
details (a webhook's JSON) never set them."""

RACES_TO_LOSE = 3
"""Unique keys a signal can lose a race on, each at most once: the stub account, the open
case of its track, its dedupe key. Losing more is another fault, raised."""


class _TeamNeeded(Exception):
    """A new case needs a fresh team, which must not be resolved inside a transaction."""


class _PeopleNeeded(Exception):
    """A new case needs to know whether the account's people are real, and Slack was never
    asked: it must not be, inside a transaction."""

    def __init__(self, users: list[str]) -> None:
        super().__init__(users)
        self.users = users


def stops_escalation(team: TeamService) -> StopsEscalation:
    """Only the owner's or a manager's act stops a new case's escalation (with the last
    known team: this runs inside the unit of work)."""

    def stops(actor: str, case: Case) -> bool:
        known = team.last()
        return actor == case.owner or (known is not None and known.is_manager(actor))

    return stops


class CaseService(CaseActions, ExternalEvents, Handover):
    """Cases: finding, listing, opening, and the lifecycle every change of status goes through."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        team: TeamService,
        *,
        access: Access,
        timeline: Timeline,
        lifecycle: Lifecycle,
    ) -> None:
        """`timeline` and `lifecycle` are built first (with the other domains' listeners),
        as those listeners need the timeline too (docs/ARCHITECTURE.md, *Composition root*)."""
        self.db = db
        self.policy = policy
        self.clock = clock
        self.team_service = team
        self.access = access
        self.timeline = timeline
        self.lifecycle = lifecycle

    def team(self, *, stale_ok: bool = False) -> Team:
        """The team from the team service (see `TeamService.current`)."""
        return self.team_service.current(stale_ok=stale_ok)

    # -- finding -------------------------------------------------------------------------

    def find_account(self, typed: str) -> AccountMatch:
        with self.db.read() as session:
            return find_account(session, typed)

    def search_accounts(self, query: str, user: str, limit: int = 20) -> list[AccountView]:
        """Type-ahead: an exact external id first, then names starting with the query; none
        for someone who may not open a case (another organisation's people)."""
        if not self.access.actor(user, fresh=False).may(Action.OPEN_CASE):
            return []
        with self.db.read() as session:
            match = find_account(session, query)
            found = [match.account] if match.account else []
            more = [AccountView.of(a) for a in accounts_store.by_name_prefix(session, query, limit)]
            return (found + [a for a in more if a not in found])[:limit]

    def listing(self, scope: str, user: str, limit: int = 20) -> CaseListing:
        """Cases for `/churn cases` and App Home; managers' "mine" is still their own. Every
        case (open, all) only for those who see revenue figures; raises Refused."""
        self.access.require(user, Action.MY_CASES if scope == CaseScope.MINE else Action.REVENUE)
        with self.db.read() as session:
            rows, total = store.listing(session, scope=scope, user=user, limit=limit)
            links = store.permalinks(session, [case for case, _ in rows])
            items = [CaseItem.of(case, account, links.get(case.id)) for case, account in rows]
            return CaseListing(items, total)

    def currency_of(self, case_id: int) -> str:
        with self.db.read() as session:
            _, account = self._load(session, case_id, lock=False)
            return account.currency

    def may(self, case_id: int, actor: str, action: Action) -> CaseView:
        """Whether the person may do `action` on the case before a modal opens: raises
        Refused, otherwise returns the case as it is. Decides only: opening a modal changes
        nothing (the submission is the act). Uses the last known team and standing however
        old (this runs before `views.open`, and resolving people may wait out a 429 past
        the trigger's 3 s); submissions check afresh."""
        acting = self.access.actor(actor, fresh=False)
        with self.db.read() as session:
            case, _ = self._load(session, case_id, lock=False)
            if action not in (Action.REMOVE_CSM, Action.NOTE):
                self._require_open(case)
            self._require(acting, case, action)
            return CaseView.of(case)

    # -- opening -------------------------------------------------------------------------

    def open(self, account: int | ExternalAccount, signal: Signal) -> Opened:
        """Open a case, or attach the signal to the account's open case of the same track,
        in one unit of work: a duplicate, an attach (most signals in a burst) or a new case,
        routed (the team and the pool's open-case counts) only when it is new. `account` is
        an account id, or an external id whose account is created as a stub if unknown.

        The team is never refreshed inside the transaction (that may ask Slack): a new case
        that finds it stale leaves the unit of work before writing, refreshes it, and runs
        again. A concurrent writer of the same stub account, case or dedupe key breaks a
        unique key for all but one: the others roll back and run again, and find the
        account, the open case or the duplicate."""
        team = self.team_service.if_fresh()
        asked: dict[str, Person] = {}
        lost = 0
        while True:
            try:
                with self.db.session() as session:
                    return self._open_in(session, account, signal, team, asked)
            except _TeamNeeded:
                team = self.team()  # at most once: never None again
            except _PeopleNeeded as needed:  # at most once: asked answers every user
                asked.update(self.team_service.directory.people(needed.users))
            except IntegrityError:
                lost += 1
                if lost > RACES_TO_LOSE:
                    raise

    def _open_in(
        self,
        session: Session,
        account: int | ExternalAccount,
        signal: Signal,
        team: Team | None,
        asked: dict[str, Person] | None,
    ) -> Opened:
        row: Account | None = None
        if isinstance(account, ExternalAccount):
            now, currency = self.clock.now(), self.policy.currency
            row = accounts_store.stub(session, account.external_id, now, currency=currency)
            account_id = row.id
        else:
            account_id = account
        opened = self._attach_to_open(session, account_id, signal)
        if opened is None:
            if team is None:
                raise _TeamNeeded  # nothing of this unit of work is kept
            row = row or session.get(Account, account_id)
            assert row is not None
            person = self._account_people(session, row, asked)
            routed = route_account(
                session, self.policy, team, row, signal.kind, signal.arr, person, self.clock.now()
            )
            opened = Opened(self._create(session, row, signal, routed).id, created=True)
        return replace(opened, account_id=account_id)

    def _account_people(
        self, session: Session, account: Account, asked: dict[str, Person] | None
    ) -> PersonOf:
        """The standing of the account's CSM and account owner, as stored (or just asked);
        raises _PeopleNeeded for those Slack was never asked about (`asked` None: they are
        taken as real, the caller's unit of work cannot wait for Slack)."""
        wanted = [u for u in (account.csm, account.account_owner) if u]
        known = {**self.team_service.directory.known(session, wanted), **(asked or {})}
        missing = [u for u in wanted if u not in known]
        if missing and asked is not None:
            raise _PeopleNeeded(missing)
        return lambda user: known.get(user) or Person(user, Standing.UNASKED)

    def _attach_to_open(self, session: Session, account_id: int, signal: Signal) -> Opened | None:
        """A duplicate, or the signal attached to the open case; None: no open case yet."""
        if signal.dedupe is not None:
            known = store.seen(session, *signal.dedupe)
            if known is not None and known.case_id is not None:
                return Opened(known.case_id, created=False, duplicate=True)
        existing = store.open_case(session, account_id, track_of(signal.kind))
        if existing is None:
            return None
        self._attach(session, existing, signal)
        return Opened(existing.id, created=False, attached=True)

    def _remember(self, session: Session, signal: Signal, case: Case) -> None:
        if signal.dedupe is not None:
            store.remember(session, *signal.dedupe, case.id, self.clock.now())

    def _create(self, session: Session, account: Account, signal: Signal, routed: Routed) -> Case:
        now = self.clock.now()
        case = Case(
            account_id=account.id,
            track=track_of(signal.kind),
            kind=signal.kind,
            status=CaseStatus.NEW,
            risk=RiskLevel.MEDIUM,
            owner=routed.owner,
            csm=routed.csm,
            stated_reason=signal.summary or None,
            arr_at_risk=signal.arr if signal.arr is not None else account.arr,
            renewal_date=signal.renewal_date or account.renewal_date,
            source=signal.source,
            source_link=signal.link,
            created_by=signal.actor,
            details={k: v for k, v in (signal.details or {}).items() if k not in OWN_DETAILS},
            created_at=now,
            updated_at=now,
            assigned_at=now if routed.owner else None,
        )
        session.add(case)
        session.flush()
        if routed.covering and routed.time_off_id and routed.owner:
            away = session.get(TimeOff, routed.time_off_id)
            if away is not None:  # handed back when they return (bot/hours/service.py)
                hours_store.cover_case(session, away, case.id, routed.owner, now)
        self._remember(session, signal, case)
        line = opened_line(case, account.currency, signal.actor, signal.source, routed.matched)
        self.timeline.show_latest(case, line, now)  # the root says it: no reply (docs/cases.md)
        self._post_root(session, case, account)
        self.timeline.line(session, case, signal.actor, CaseEventType.OPENED, line, in_thread=False)
        if routed.note or routed.passed_over:
            self.timeline.line(session, case, None, CaseEventType.ROUTING, routing_line(routed))
        if account.is_stub:  # the root's source line says so
            stub = f"Account `{esc(account.external_id)}` was not known: a stub was created."
            self.timeline.line(
                session, case, None, CaseEventType.STUB_ACCOUNT, stub, in_thread=False
            )
        root = store.root_message(session, case)
        if case.owner and root is not None:
            dm = owner_dm(case, account, routed.note)
            outbox.linked(session, now, case.owner, root, dm, flush=False)
        self._confirm(session, case, signal, created=True)
        followups.case_opened(session, self.policy, case, now)
        return case

    def _confirm(self, session: Session, case: Case, signal: Signal, *, created: bool) -> None:
        """Tell whoever raised the signal where the case is (response_url, source thread)."""
        if not (signal.respond_url or signal.reply_in):
            return  # a webhook's caller is told in the HTTP answer
        root = store.root_message(session, case)
        if root is None:
            return
        account = session.get(Account, case.account_id)
        assert account is not None
        name, link = esc(account.name), f"<{outbox.LINK_TOKEN}|open the case thread>"
        if created:
            owner = who(case.owner)
            text = f":white_check_mark: Opened case #{case.id} for *{name}*, owner {owner}: {link}"
        else:
            text = f":paperclip: *{name}* already has open case #{case.id}; added to it: {link}"
        now = self.clock.now()
        if signal.respond_url:
            outbox.respond(
                session,
                now,
                signal.respond_url,
                text,
                link_to=root,
                replace=signal.replace_ack,
                issued=signal.respond_issued,
                person=signal.actor,
                flush=False,
            )
        if signal.reply_in:
            channel, thread_ts = signal.reply_in
            outbox.linked(session, now, channel, root, text, thread_ts=thread_ts, flush=False)

    def _post_root(self, session: Session, case: Case, account: Account) -> None:
        channel = self.policy.channels.cases or case.owner
        if channel is None:
            log.warning("case %s has no cases channel and no owner: no thread", case.id)
            return
        text, blocks = self.timeline.root(session, case, account)
        root = outbox.post(session, self.clock.now(), channel, text, blocks, keep_permalink=True)
        store.set_root(session, case, root)

    def _attach(self, session: Session, case: Case, signal: Signal) -> None:
        self._remember(session, signal, case)
        summary = f": {quiet(signal.summary, 500)}" if signal.summary else ""
        by = f" from {who(signal.actor)}" if signal.actor else ""
        text = f"New signal{by} via {esc(signal.source)} ({kind_label(signal.kind)}){summary}"
        if signal.link:
            text += f" <{signal.link}|source>"
        self.timeline.line(
            session, case, signal.actor, CaseEventType.SIGNAL, text, {"kind": signal.kind}
        )
        case.updated_at = self.clock.now()  # the root shows nothing an attach changes: no edit
        self._confirm(session, case, signal, created=False)

    # -- for other services (offers) ----------------------------------------------------------

    def load_for_action(
        self, session: Session, case_id: int, acting: Actor, action: Action
    ) -> tuple[Case, Account]:
        """Load an open case `acting` may take `action` on (bot.people.access); raises Refused."""
        case, account = self._load(session, case_id)
        self._require_open(case)
        self._require(acting, case, action)
        return case, account

    # -- shared steps ----------------------------------------------------------------------

    def _load(self, session: Session, case_id: int, *, lock: bool = True) -> tuple[Case, Account]:
        """The case and its account; for a change (`lock`, the default) read afresh and
        locked (`storage.cases.get_locked`): two clicks at once, or a click beside a ladder
        step, and the second waits, then sees the first (`details` are rewritten by all)."""
        case = store.get_locked(session, case_id) if lock else store.get(session, case_id)
        if case is None:
            raise Refused(f"Case #{case_id} does not exist.")
        account = session.get(Account, case.account_id)
        assert account is not None
        return case, account

    @staticmethod
    def _require_open(case: Case) -> None:
        if case.status not in OPEN_STATUSES:
            raise Refused(f"Case #{case.id} is {case.status.replace('_', ' ')}; reopen it first.")

    @staticmethod
    def _require(acting: Actor, case: Case, action: Action) -> None:
        involved = Involved(owner=case.owner, csm=case.csm)
        acting.require(action, involved, f" on case #{case.id}")


def routing_line(routed: Routed) -> str:
    """The thread's routing line: who was passed over and why, and the fallback, e.g.
    "Routing: <@U1> (the account owner) is deactivated in Slack; routed to <@U2>: …"."""
    passed = [f"{who(p.user_id)} ({what}) {p.why}" for what, p in routed.passed_over]
    if not passed:
        return f"Routing: {routed.note}."
    routed_to = f"routed to {who(routed.owner)}" if routed.owner else "nobody owns it"
    return f"Routing: {'; '.join(passed)}; {routed_to}" + (
        f" ({routed.note})." if routed.note else "."
    )
