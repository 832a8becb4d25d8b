"""Signals: churn talk from other systems and from watched Slack channels.

Every way in ends in `CaseService.open` with a dedupe key, so a retried webhook, a Slack
redelivery or a double click never makes a second case:

- `POST /webhooks/signals`: `(f"signals:{source}", external_id)`;
- a Slack message (integration bot, prompt button, message shortcut): `("slack-message",
  "channel:ts")`, shared by all three so one message is one case however it arrives;
- the threaded "Open a case" prompt itself: `("slack-offer", "channel:ts")`, written in the
  same transaction as the outbox row that posts it.

Handlers turn Slack payloads into `SlackMessage`s and bodies into bytes; nothing here sees
a raw Slack payload.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.cases.models import AccountView, ExternalAccount, Opened, Signal
from bot.cases.service import CaseService
from bot.common.clock import Clock
from bot.common.lookup import accounts_named_in
from bot.policy import Policy
from bot.signals.models import (
    CaseFields,
    Draft,
    ExistingCase,
    SlackMessage,
    Watched,
    guess_kind,
)
from bot.signals.webhook import WEBHOOK_PREFIX, WebhookSignal
from storage import cases as store
from storage import outbox as outbox_rows
from storage.db import Database
from storage.models import Account, Case

log = logging.getLogger(__name__)

MESSAGE_DEDUPE = "slack-message"
PROMPT_DEDUPE = "slack-offer"  # the stored string predates the word "prompt"


ACCOUNT_IDS_KEPT = 10_000
"""External ids whose account id a SignalService remembers (about 1 MB)."""


Received = Callable[[Signal, Opened], None]
"""Told after a webhook signal opened or joined a case, outside its unit of work."""


class SignalService:
    """Every way a case is born: command, modal, shortcut, watched channel, bot, webhook."""

    def __init__(
        self,
        db: Database,
        policy: Policy,
        clock: Clock,
        cases: CaseService,
        received: Sequence[Received] = (),
    ) -> None:
        self.db = db
        self.policy = policy
        self.clock = clock
        self.cases = cases
        self.received: tuple[Received, ...] = tuple(received)
        """Called after a webhook signal opened or joined a case (turnover: answers needed)."""
        self._account_ids: dict[str, int] = {}  # external id -> account id (never changes)

    # -- the one entry point

    def open(self, account: int | ExternalAccount, signal: Signal) -> Opened:
        """Open (or attach to) the case for a signal: every way in ends here, so there is one
        way a case is born; the dedupe key in `signal` makes a retry harmless. `account` is
        an id, or an external id (a stub account is created for an unknown one)."""
        return self.cases.open(account, signal)

    def open_in(self, session: Session, account_id: int, signal: Signal) -> Opened:
        """`open` inside the caller's unit of work, for a webhook event remembered in the
        same transaction as its effect (Stripe)."""
        return self.cases.open_in(session, account_id, signal)

    # -- the webhook

    def receive(self, signal: WebhookSignal) -> Opened:
        """Open or attach a case; an unknown account becomes a stub, never a dropped signal."""
        details: dict[str, Any] = {"external_id": signal.external_id}
        if signal.occurred_at is not None:
            details["occurred_at"] = signal.occurred_at.isoformat()
        if signal.details:
            details["details"] = signal.details
        case_signal = Signal(
            kind=signal.kind,
            source=signal.source,  # stored as sent; escaped once where it is shown
            summary=signal.summary,
            arr=signal.arr,
            dedupe=(WEBHOOK_PREFIX + signal.source, signal.external_id),
            details=details,
        )
        opened = self.open(self._account(signal.account), case_signal)
        self._remember_account(signal.account, opened.account_id)
        for follow_up in self.received:
            follow_up(case_signal, opened)
        return opened

    def _account(self, external_id: str) -> int | ExternalAccount:
        """The account's id when remembered, else its external id: found, or created as a
        stub, in the case's own unit of work. Remembered because an account is never deleted
        nor given another id, and a burst of signals names the same few accounts."""
        known_id = self._account_ids.get(external_id)
        return known_id if known_id is not None else ExternalAccount(external_id)

    def _remember_account(self, external_id: str, account_id: int | None) -> None:
        if account_id is None or external_id in self._account_ids:
            return
        if len(self._account_ids) >= ACCOUNT_IDS_KEPT:
            self._account_ids.clear()
        self._account_ids[external_id] = account_id

    # -- watched channels

    def watch(self, message: SlackMessage, permalink: Callable[[], str | None]) -> Watched:
        """A message in a channel: ignore it, prompt to open a case in its thread, or (a
        listed integration bot naming exactly one account) open one. `permalink` is only
        called when needed."""
        signals = self.policy.signals
        if message.channel not in signals.watch_channels:
            return Watched.IGNORED
        phrase = signals.matching_phrase(message.text)
        if phrase is None:
            return Watched.IGNORED
        with self.db.read() as session:
            if self._existing(session, message) is not None:
                return Watched.DUPLICATE
            named = accounts_named_in(session, message.text)
        if message.bot_id and message.bot_id in signals.bots and len(named) == 1:
            fields = CaseFields(kind=guess_kind(message.text), summary=message.text)
            opened = self.open_from_message(
                message, named[0], fields, "integration bot", None, permalink()
            )
            return Watched.DUPLICATE if opened.duplicate else Watched.OPENED
        account_id = named[0] if len(named) == 1 else None
        return self._prompt(message, phrase, account_id)

    def _prompt(self, message: SlackMessage, phrase: str, account_id: int | None) -> Watched:
        """One threaded prompt per message: the idempotency row and the outbox row commit
        together, and a concurrent redelivery loses on the unique key."""
        try:
            with self.db.session() as session:
                if store.seen(session, PROMPT_DEDUPE, message.key) is not None:
                    return Watched.ALREADY_OFFERED
                now = self.clock.now()
                store.remember(session, PROMPT_DEDUPE, message.key, None, now)
                session.flush()
                present = self.cases.timeline.presenter  # bot.ports.Presenter
                text, blocks = present.open_prompt(message, phrase, account_id)
                payload = {"text": text, "blocks": blocks, "thread_ts": message.thread}
                outbox_rows.add(
                    session,
                    method="chat.postMessage",
                    channel=message.channel,
                    payload=payload,
                    now=now,
                )
        except IntegrityError:
            return Watched.ALREADY_OFFERED
        return Watched.OFFERED

    # -- opening a case from a message (prompt button, shortcut, integration bot)

    def draft(self, message: SlackMessage, account_id: int | None = None) -> Draft:
        """The modal's starting point: kind from the words, the account when exactly one
        is named; or the case this message already has."""
        with self.db.read() as session:
            existing = self._existing(session, message)
            if existing is not None:
                return Draft(guess_kind(message.text), message.text, existing=existing)
            account = session.get(Account, account_id) if account_id is not None else None
            if account is None:
                named = accounts_named_in(session, message.text)
                account = session.get(Account, named[0]) if len(named) == 1 else None
            view = AccountView.of(account) if account is not None else None
            return Draft(guess_kind(message.text), message.text, view)

    def existing(self, message: SlackMessage) -> ExistingCase | None:
        with self.db.read() as session:
            return self._existing(session, message)

    def open_from_message(
        self,
        message: SlackMessage,
        account_id: int,
        fields: CaseFields,
        source: str,
        actor: str | None,
        link: str | None,
    ) -> Opened:
        """Open (or attach to) the case for a message; the reply in the message's thread is
        queued in the same unit of work (nothing is said again for a duplicate)."""
        return self.open(account_id, message_signal(message, fields, source, actor, link))

    def _existing(self, session: Session, message: SlackMessage) -> ExistingCase | None:
        known = store.seen(session, MESSAGE_DEDUPE, message.key)
        if known is None or known.case_id is None:
            return None
        case = session.get(Case, known.case_id)
        link = store.permalinks(session, [case]).get(known.case_id) if case else None
        return ExistingCase(known.case_id, link)


def message_signal(
    message: SlackMessage, fields: CaseFields, source: str, actor: str | None, link: str | None
) -> Signal:
    """The signal a Slack message makes: its key is the dedupe key shared by every way the
    message can arrive (integration bot, prompt button, message shortcut)."""
    return Signal(
        kind=fields.kind,
        source=source,
        actor=actor,
        summary=fields.summary,
        arr=fields.arr,
        renewal_date=fields.renewal_date,
        link=link,
        dedupe=(MESSAGE_DEDUPE, message.key),
        details={"channel": message.channel, "ts": message.ts},
        reply_in=(message.channel, message.thread),
    )
