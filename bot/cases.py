"""Cases: every signal becomes one owned case, and every change goes through here.

A change of status goes through `_transition` (a table of allowed moves) which stamps the
time, writes a timeline event and queues what must be said, in one unit of work.
Authorization is decided here from the policy's roles; a refusal raises `Refused` with
the sentence to show the person, and changes nothing.
"""

from __future__ import annotations

import logging
import time as monotonic_time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import followups, outbox
from bot.clock import Clock
from bot.lookup import AccountMatch, find_account
from bot.messages import (
    OFFBOARDING_CHECKLIST,
    case_root,
    esc,
    kind_label,
    move_on_request_blocks,
    owner_dm,
    quiet,
    time_token,
    who,
)
from bot.people import Directory
from bot.policy import Policy
from bot.routing import AccountFacts, Routed, route
from bot.team import Team, load_team
from storage import accounts as accounts_store
from storage import cases as store
from storage import offers as offers_store
from storage.db import Database
from storage.models import OPEN_STATUSES, Account, Case, OutboxMessage

log = logging.getLogger(__name__)

CLOSED_STATUSES = ("saved", "churned", "moved_on")
ALLOWED_MOVES: dict[str, tuple[str, ...]] = {
    "new": ("acknowledged", "working", *CLOSED_STATUSES),
    "acknowledged": ("working", *CLOSED_STATUSES),
    "working": CLOSED_STATUSES,
    "saved": ("working",),
    "churned": ("working",),
    "moved_on": ("working",),
}
RISKS = ("low", "medium", "high")
TEAM_TTL_SECONDS = 60
MOVE_ON_REASONS = {
    "not_ideal_customer": "Not our ideal customer",
    "out_of_business": "Bankrupt / out of business",
    "wrong_fit": "Wrong product fit",
    "other": "Other",
}
STATUS_WORDS = {
    "acknowledged": "acknowledged",
    "working": "reopened",
    "saved": "marked saved",
    "churned": "marked churned",
    "moved_on": "moved on",
}


SNOOZE_SPANS = {"1d": timedelta(days=1), "3d": timedelta(days=3), "1w": timedelta(weeks=1)}


def snooze_until(choice: str, day: date | None, now: datetime, policy: Policy) -> datetime:
    """When a snooze ends: a span from now, or the start of business on the chosen day."""
    if choice in SNOOZE_SPANS:
        return now + SNOOZE_SPANS[choice]
    if day is None:
        raise Refused("Pick the date the snooze ends.")
    opening = policy.business_hours[0] if policy.business_hours else time(9)
    return datetime.combine(day, opening, tzinfo=policy.timezone).astimezone(UTC)


def track_of(kind: str) -> str:
    return "payment" if kind == "payment_failed" else "churn"


class Refused(Exception):
    """The person may not do this, or the case is not in a state for it."""


@dataclass(frozen=True)
class Signal:
    """A cancellation or churn risk, from wherever it came."""

    kind: str
    source: str
    actor: str | None = None
    summary: str = ""
    arr: Decimal | None = None
    renewal_date: date | None = None
    link: str | None = None
    dedupe: tuple[str, str] | None = None
    details: dict[str, Any] = field(default_factory=dict)
    respond_url: str | None = None
    reply_in: tuple[str, str] | None = None  # (channel, thread_ts) of the source message


@dataclass(frozen=True)
class Opened:
    case_id: int
    created: bool
    attached: bool = False
    duplicate: bool = False


@dataclass(frozen=True)
class CaseItem:
    case: Case
    account: Account
    link: str | None


@dataclass(frozen=True)
class CaseListing:
    items: list[CaseItem]
    total: int


class CaseService:
    def __init__(self, db: Database, policy: Policy, clock: Clock, directory: Directory) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.directory = directory
        self._team: tuple[float, Team] | None = None

    def team(self, *, stale_ok: bool = False) -> Team:
        """Who holds each role, resolved outside any transaction and kept for a minute.

        Step handlers run inside a transaction: they pass `stale_ok` and get the copy that
        `Services.run_steps` refreshed before the run, never a Slack call mid-transaction.
        """
        cached = self._team
        fresh = cached is not None and monotonic_time.monotonic() - cached[0] < TEAM_TTL_SECONDS
        if cached is not None and (fresh or stale_ok):
            return cached[1]
        team = load_team(self.policy, self.directory)
        self._team = (monotonic_time.monotonic(), team)
        return team

    # -- finding -------------------------------------------------------------------------

    def find_account(self, typed: str) -> AccountMatch:
        with self.db.read() as session:
            return find_account(session, typed)

    def search_accounts(self, query: str, limit: int = 20) -> list[Account]:
        """Type-ahead: an exact external id first, then names starting with the query."""
        with self.db.read() as session:
            match = find_account(session, query)
            found = [match.account] if match.account else []
            more = accounts_store.by_name_prefix(session, query, limit)
            return (found + [a for a in more if a not in found])[:limit]

    def listing(self, scope: str, user: str, limit: int = 20) -> CaseListing:
        """Cases for `/churn cases` and App Home; managers' "mine" is still their own."""
        with self.db.read() as session:
            rows, total = store.listing(session, scope=scope, user=user, limit=limit)
            links = store.permalinks(session, [case for case, _ in rows])
            items = [CaseItem(case, account, links.get(case.id)) for case, account in rows]
            return CaseListing(items, total)

    def currency_of(self, case_id: int) -> str:
        with self.db.read() as session:
            _, account = self._load(session, case_id)
            return account.currency

    def may(self, case_id: int, actor: str, action: str) -> Case:
        """Check before opening a modal that the person may do `action` (raises Refused).

        An allowed press counts as acting on the case (the contract's definition), so the
        escalation ladder stops even if the modal is then closed without submitting.
        """
        team = self.team()
        with self.db.session() as session:
            case, _ = self._load(session, case_id)
            if action == "reassign":
                self._require_open(case)
                if actor != case.owner and not team.is_lead(actor):
                    raise Refused("Only the case's owner, a manager or an admin can reassign it.")
            elif action == "remove_csm":
                if not team.is_manager(actor):
                    raise Refused("Only a manager can remove the CSM from an account.")
            elif action in ("risk", "move_on", "snooze", "offer"):
                self._require_open(case)
                self._require_participant(case, actor, team)
            elif action == "remind":
                self._require_open(case)
            if case.status in OPEN_STATUSES:  # pressing a case button is acting on it
                now = self.clock.now()
                case.last_action_at = now
                followups.case_acted(session, self.policy, case, now)
            return case

    # -- opening -------------------------------------------------------------------------

    def open(self, account_id: int, signal: Signal) -> Opened:
        """Open a case, or attach the signal to the account's open case of the same track."""
        team = self.team()
        routed_owner = self._route_outside_tx(account_id, signal, team)
        for attempt in range(2):
            try:
                with self.db.session() as session:
                    return self._open_in(session, account_id, signal, routed_owner)
            except IntegrityError:  # a concurrent signal opened it first: attach instead
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _route_outside_tx(self, account_id: int, signal: Signal, team: Team) -> Routed:
        with self.db.session() as session:
            account = session.get(Account, account_id)
            assert account is not None
            facts = AccountFacts(account.csm, account.account_owner, account.segment)
            arr = signal.arr if signal.arr is not None else account.arr
            return route(
                self.policy,
                team,
                facts,
                signal.kind,
                arr,
                lambda pool: store.load(session, pool),
                team.resolve,
            )

    def _open_in(self, session: Session, account_id: int, signal: Signal, routed: Routed) -> Opened:
        if signal.dedupe is not None:
            known = store.seen(session, *signal.dedupe)
            if known is not None and known.case_id is not None:
                return Opened(known.case_id, created=False, duplicate=True)
        account = session.get(Account, account_id)
        assert account is not None
        existing = store.open_case(session, account_id, track_of(signal.kind))
        if existing is not None:
            self._attach(session, existing, account, signal)
            return Opened(existing.id, created=False, attached=True)
        case = self._create(session, account, signal, routed)
        return Opened(case.id, created=True)

    def _remember(self, session: Session, signal: Signal, case: Case) -> None:
        if signal.dedupe is not None:
            store.remember(session, *signal.dedupe, case.id, self.clock.now())

    def _create(self, session: Session, account: Account, signal: Signal, routed: Routed) -> Case:
        now = self.clock.now()
        case = Case(
            account_id=account.id,
            track=track_of(signal.kind),
            kind=signal.kind,
            status="new",
            risk="medium",
            owner=routed.owner,
            csm=account.csm,
            stated_reason=signal.summary or None,
            arr_at_risk=signal.arr if signal.arr is not None else account.arr,
            renewal_date=signal.renewal_date or account.renewal_date,
            source=signal.source,
            source_link=signal.link,
            created_by=signal.actor,
            details=signal.details,
            created_at=now,
            updated_at=now,
            assigned_at=now if routed.owner else None,
        )
        session.add(case)
        session.flush()
        self._remember(session, signal, case)
        self._post_root(session, case, account)
        opened_by = f" by {who(signal.actor)}" if signal.actor else ""
        self._line(
            session,
            case,
            signal.actor,
            "opened",
            f"Case opened{opened_by} from {signal.source}; owner {who(case.owner)}"
            f" (routing: {routed.rule}).",
        )
        if routed.note:
            self._line(session, case, None, "routing", f"Routing: {routed.note}.")
        if account.is_stub:
            self._line(
                session,
                case,
                None,
                "stub_account",
                f"Account `{esc(account.external_id)}` was not known: a stub was created.",
            )
        root = store.root_message(session, case)
        if case.owner and root is not None:
            outbox.linked(session, now, case.owner, root, owner_dm(case, account, routed.note))
        self._confirm(session, case, account, signal, created=True)
        followups.case_opened(session, self.policy, case, now)
        return case

    def _confirm(
        self, session: Session, case: Case, account: Account, signal: Signal, *, created: bool
    ) -> None:
        """Tell whoever raised the signal where the case is: an ephemeral answer on the
        command's response_url, and/or a reply in the source message's thread."""
        root = store.root_message(session, case)
        if root is None:
            return
        name, link = esc(account.name), f"<{outbox.LINK_TOKEN}|open the case thread>"
        if created:
            owner = who(case.owner)
            text = f":white_check_mark: Opened case #{case.id} for *{name}*, owner {owner}: {link}"
        else:
            text = f":paperclip: *{name}* already has open case #{case.id}; added to it: {link}"
        now = self.clock.now()
        if signal.respond_url:
            outbox.respond(session, now, signal.respond_url, text, link_to=root)
        if signal.reply_in:
            channel, thread_ts = signal.reply_in
            outbox.linked(session, now, channel, root, text, thread_ts=thread_ts)

    def _post_root(self, session: Session, case: Case, account: Account) -> None:
        channel = self.policy.channels.cases or case.owner
        if channel is None:
            log.warning("case %s has no cases channel and no owner: no thread", case.id)
            return
        text, blocks = case_root(case, account)
        root = outbox.post(session, self.clock.now(), channel, text, blocks, keep_permalink=True)
        case.root_message_id = root.id

    def _attach(self, session: Session, case: Case, account: Account, signal: Signal) -> None:
        self._remember(session, signal, case)
        summary = f": {quiet(signal.summary[:500])}" if signal.summary else ""
        by = f" from {who(signal.actor)}" if signal.actor else ""
        text = f"New signal{by} via {signal.source} ({kind_label(signal.kind)}){summary}"
        if signal.link:
            text += f" <{signal.link}|source>"
        self._line(session, case, signal.actor, "signal", text, {"kind": signal.kind})
        case.updated_at = self.clock.now()
        self._refresh_root(session, case, account)
        self._confirm(session, case, account, signal, created=False)

    # -- acting on a case ------------------------------------------------------------------

    def acknowledge(self, case_id: int, actor: str) -> Case:
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            if case.status != "new":
                raise Refused(f"Case #{case.id} is already {case.status.replace('_', ' ')}.")
            if case.owner and actor != case.owner and not team.is_lead(actor):
                raise Refused(
                    f"Only {who(case.owner)} or a manager can acknowledge case #{case.id}."
                )
            if case.owner is None:
                case.owner, case.assigned_at = actor, self.clock.now()
            self._transition(session, case, account, "acknowledged", actor)
            return case

    def reassign(self, case_id: int, actor: str, new_owner: str) -> Case:
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            if actor != case.owner and not team.is_lead(actor):
                raise Refused("Only the case's owner, a manager or an admin can reassign it.")
            if new_owner == case.owner:
                raise Refused(f"{who(new_owner)} already owns case #{case.id}.")
            previous, now = case.owner, self.clock.now()
            case.owner, case.assigned_at = new_owner, now
            self._acted(
                session,
                case,
                account,
                actor,
                "reassigned",
                f"{who(actor)} reassigned the case from {who(previous)} to {who(new_owner)}.",
            )
            root = store.root_message(session, case)
            if root is not None:
                outbox.linked(session, now, new_owner, root, owner_dm(case, account))
            return case

    def set_risk(self, case_id: int, actor: str, risk: str) -> Case:
        if risk not in RISKS:
            raise Refused(f"Risk level must be one of {', '.join(RISKS)}.")
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require_participant(case, actor, team)
            if case.risk == risk:
                raise Refused(f"Case #{case.id} is already {risk} risk.")
            previous, case.risk = case.risk, risk
            self._acted(
                session,
                case,
                account,
                actor,
                "risk",
                f"{who(actor)} changed the risk level from {previous} to {risk}.",
            )
            return case

    def add_note(self, case_id: int, actor: str, note: str) -> Case:
        note = note.strip()
        if not note:
            raise Refused("A note cannot be empty.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._acted(session, case, account, actor, "note", f"{who(actor)} noted: {note[:2900]}")
            return case

    def close(self, case_id: int, actor: str, status: str, reason: str | None = None) -> Case:
        """Mark saved, churned or moved on (moving on needs a reason)."""
        if status not in CLOSED_STATUSES:
            raise Refused(f"{status} is not a way to close a case.")
        if status == "moved_on" and not (reason or "").strip():
            raise Refused("Moving on needs a reason.")
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_participant(case, actor, team)
            if status == "moved_on" and self._needs_confirmation(case, actor, team):
                self._request_move_on(session, case, account, actor, reason or "", team)
                return case
            if status == "saved":
                case.arr_saved = case.arr_at_risk
                case.offer_cost = offers_store.accepted_cost(session, case.id)
            self._transition(session, case, account, status, actor, reason)
            return case

    def _needs_confirmation(self, case: Case, actor: str, team: Team) -> bool:
        if team.is_manager(actor):
            return False
        return self.policy.move_on_needs_confirmation(case.arr_at_risk)

    def _request_move_on(
        self, session: Session, case: Case, account: Account, actor: str, reason: str, team: Team
    ) -> None:
        """Above the policy's ARR threshold a manager confirms moving on, in the thread."""
        if case.status not in OPEN_STATUSES:
            raise Refused(f"Case #{case.id} is {case.status.replace('_', ' ')}.")
        if "move_on_request" in (case.details or {}):
            raise Refused(f"Moving case #{case.id} on is already waiting for a manager.")
        now = self.clock.now()
        text, blocks = move_on_request_blocks(case, actor, reason, team.members("managers"))
        root = store.root_message(session, case)
        request = outbox.reply(session, now, root, text, blocks) if root else None
        pending = {"by": actor, "reason": reason, "message_id": request.id if request else None}
        case.details = {**(case.details or {}), "move_on_request": pending}
        self._acted(
            session,
            case,
            account,
            actor,
            "move_on_requested",
            f"{who(actor)} asked to move on ({reason}); a manager must confirm.",
        )

    def confirm_move_on(self, case_id: int, actor: str, confirm: bool) -> Case:
        """A manager confirms (or declines) a pending move-on."""
        team = self.team()
        if not team.is_manager(actor):
            raise Refused("Only a manager can confirm moving a case on.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            request = (case.details or {}).get("move_on_request")
            if request is None:
                raise Refused(f"Case #{case.id} has no move-on waiting for confirmation.")
            case.details = {k: v for k, v in case.details.items() if k != "move_on_request"}
            message = session.get(OutboxMessage, request.get("message_id") or 0)
            verdict = "confirmed" if confirm else "declined"
            if message is not None:
                outbox.update(
                    session, self.clock.now(), message, f"Move on {verdict} by {who(actor)}.", []
                )
            if confirm:
                reason = f"{request['reason']} (confirmed by {who(actor)})"
                self._transition(session, case, account, "moved_on", actor, reason)
            else:
                self._acted(
                    session,
                    case,
                    account,
                    actor,
                    "move_on_declined",
                    f"{who(actor)} declined moving on: keep working the case.",
                )
            return case

    def reopen(self, case_id: int, actor: str) -> Case:
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_participant(case, actor, team)
            other = store.open_case(session, case.account_id, case.track)
            if other is not None and other.id != case.id:
                raise Refused(
                    f"*{esc(account.name)}* already has open case #{other.id}; use that one."
                )
            self._transition(session, case, account, "working", actor)
            return case

    def snooze(self, case_id: int, actor: str, until: datetime) -> Case:
        """Pause nudges until `until`; the owner is nudged when the snooze ends."""
        now = self.clock.now()
        if until <= now:
            raise Refused("Pick a time in the future.")
        team = self.team()
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._require_participant(case, actor, team)
            case.snoozed_until = until
            self._acted(
                session,
                case,
                account,
                actor,
                "snooze",
                f"{who(actor)} snoozed the case until {time_token(until)}.",
            )
            followups.snoozed(session, self.policy, case, until, now)
            return case

    def remind(self, case_id: int, actor: str, at: datetime) -> Case:
        """The person sets the next follow-up themselves."""
        now = self.clock.now()
        if at <= now:
            raise Refused("Pick a time in the future.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            self._require_open(case)
            self._acted(
                session,
                case,
                account,
                actor,
                "reminder",
                f"{who(actor)} set a reminder for {time_token(at)}.",
            )
            followups.reminder_set(session, case, actor, at, now)
            return case

    def remove_csm(self, case_id: int, actor: str, reason: str) -> Case:
        """Only a manager removes a CSM from an account (e.g. an abusive customer)."""
        if not self.team().is_manager(actor):
            raise Refused("Only a manager can remove the CSM from an account.")
        if not reason.strip():
            raise Refused("Removing a CSM needs a reason.")
        with self.db.session() as session:
            case, account = self._load(session, case_id)
            if account.csm is None and case.csm is None:
                raise Refused(f"*{esc(account.name)}* has no CSM.")
            removed = account.csm or case.csm
            now = self.clock.now()
            account.csm, account.updated_at = None, now
            store.add_account_event(
                session,
                account,
                now,
                actor,
                "csm_removed",
                f"{who(actor)} removed CSM {who(removed)}: {reason}",
            )
            for open_case in store.open_cases_of_account(session, account.id):
                open_case.csm = None
                self._acted(
                    session,
                    open_case,
                    account,
                    actor,
                    "csm_removed",
                    f"{who(actor)} removed {who(removed)} as CSM: {reason}",
                )
            return case

    # -- for other services (offers) ----------------------------------------------------------

    def load_for_action(
        self, session: Session, case_id: int, actor: str, team: Team
    ) -> tuple[Case, Account]:
        """Load an open case someone may act on (owner, CSM, manager or admin)."""
        case, account = self._load(session, case_id)
        self._require_open(case)
        self._require_participant(case, actor, team)
        return case, account

    def record(
        self,
        session: Session,
        case: Case,
        account: Account,
        actor: str | None,
        type: str,
        text: str,
        *,
        acted: bool = True,
    ) -> None:
        """A timeline line; when someone acted, the root and follow-ups are refreshed too."""
        if acted:
            self._acted(session, case, account, actor, type, text)
        else:
            self._line(session, case, actor, type, text)

    # -- shared steps ----------------------------------------------------------------------

    def _load(self, session: Session, case_id: int) -> tuple[Case, Account]:
        stmt = select(Case).where(Case.id == case_id)
        if self.db.is_postgres:
            stmt = stmt.with_for_update()  # two clicks at once: the second waits, then sees
        case = session.scalar(stmt)
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
    def _require_participant(case: Case, actor: str, team: Team) -> None:
        if actor not in (case.owner, case.csm) and not team.is_lead(actor):
            raise Refused(
                f"Only the owner {who(case.owner)}, the CSM or a manager can do that on case "
                f"#{case.id}."
            )

    def _transition(
        self,
        session: Session,
        case: Case,
        account: Account,
        status: str,
        actor: str,
        reason: str | None = None,
    ) -> None:
        """The one place a status changes: checked, stamped, recorded and announced."""
        if status not in ALLOWED_MOVES.get(case.status, ()):
            raise Refused(
                f"Case #{case.id} is {case.status.replace('_', ' ')}; it cannot be "
                f"{STATUS_WORDS.get(status, status)} now."
            )
        previous, now = case.status, self.clock.now()
        case.status = status
        case.closed_at = now if status in CLOSED_STATUSES else None
        if status == "working":
            case.arr_saved = case.offer_cost = None
        if status in CLOSED_STATUSES:
            case.snoozed_until = None
        text = f"{who(actor)} {STATUS_WORDS.get(status, status)} the case"
        text += f": {reason}" if reason else "."
        self._acted(
            session,
            case,
            account,
            actor,
            "status",
            text,
            {"from": previous, "to": status, "reason": reason},
        )
        root = store.root_message(session, case)
        if status in ("churned", "moved_on") and root is not None:
            outbox.reply(session, now, root, OFFBOARDING_CHECKLIST)

    def _acted(
        self,
        session: Session,
        case: Case,
        account: Account,
        actor: str | None,
        type: str,
        text: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """Someone acted: timeline line, root refreshed, follow-ups rescheduled."""
        now = self.clock.now()
        case.updated_at = now
        if actor:
            case.last_action_at = now
        self._line(session, case, actor, type, text, details)
        self._refresh_root(session, case, account)
        followups.case_acted(session, self.policy, case, now)

    def _line(
        self,
        session: Session,
        case: Case,
        actor: str | None,
        type: str,
        text: str,
        details: dict[str, Any] | None = None,
    ) -> None:
        """A timeline event, also posted as a line in the case thread."""
        now = self.clock.now()
        store.add_event(session, case, at=now, actor=actor, type=type, text=text, details=details)
        root = store.root_message(session, case)
        if root is not None:
            outbox.reply(session, now, root, text)

    def _refresh_root(self, session: Session, case: Case, account: Account) -> None:
        root = store.root_message(session, case)
        if root is not None:
            text, blocks = case_root(case, account)
            outbox.update(session, self.clock.now(), root, text, blocks)
