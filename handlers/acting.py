"""What every listener needs, said once: ack first (Slack's 3 s), who acted, the decoded
button value or typed `private_metadata`, and a `Refused` turned into the answer Slack shows.

A button, command or shortcut refused answers only the person ephemerally (nothing changed);
a modal refused answers with inline `response_action: errors` on the field named (Slack docs:
view_submission). Listeners get an `Acting` and never read `body["actions"]`,
`private_metadata` or Bolt's client themselves.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltResponse, Respond
from slack_sdk.errors import SlackApiError

from bot.cases.models import Refused
from slack_edge.modals import Meta, decode
from slack_edge.surface import Surface
from storage.db import unavailable

log = logging.getLogger(__name__)

ACK_BUDGET_SECONDS = 2.5
"""How long work may hold an acknowledgement: Slack waits 3 s (Slack docs: *Acknowledging
requests*), and the answer must travel back."""
_EVENT_THREADS = ThreadPoolExecutor(8, thread_name_prefix="event")
"""Where `on_event` work runs while its request waits for it, at most `ACK_BUDGET_SECONDS`."""


TRIGGER_RAN_OUT = (
    "Slack gives 3 seconds to open a form, and Savedesk was too busy to open it "
    "in time; nothing was saved. Please {again}."
)
"""The answer when Slack refused a modal with `expired_trigger_id`: work that outlasted the
acknowledgement budget (the timer acknowledged) opened it too late (Slack docs: views.open)."""


def _trigger_ran_out(err: SlackApiError) -> bool:
    """Slack refused `views.open` because the interaction's 3 s were over."""
    return bool(err.response is not None and err.response.get("error") == "expired_trigger_id")


ARRIVED = "savedesk_arrived"
"""The request's context key holding when it arrived (`time.monotonic()`; over HTTP,
handlers/web.py; over Socket Mode, handlers/socket_mode.py): Slack's 3 s run from then,
through Bolt's authorization and middleware, not from the listener's start."""


def _ack_by_budget(context: BoltContext, once: _Once) -> threading.Timer:
    """A timer that acknowledges at `ACK_BUDGET_SECONDS` after the request arrived (after
    the listener started, for a request with no `ARRIVED` stamp), unless that was done: on
    a busy process the middleware and the listener's queue already spent part of Slack's
    3 s. Cancel it when the work ends."""
    arrived = context.get(ARRIVED)
    spent = time.monotonic() - arrived if isinstance(arrived, float) else 0.0
    timer = threading.Timer(max(0.0, ACK_BUDGET_SECONDS - spent), once.ensure)
    timer.daemon = True
    timer.start()
    return timer


def _send_again() -> BoltResponse:
    """503: Slack sends the event again (Slack docs: Events API, *Retries*)."""
    return BoltResponse(status=503, body="", headers={"Retry-After": "5"})


Errors = dict[str, str]


@dataclass(frozen=True)
class Update:
    """A submission answered by replacing the modal with `view` (`response_action: update`,
    Slack docs: view_submission), e.g. the kind picker leading on to the turnover modal."""

    view: dict[str, Any]


@dataclass(frozen=True)
class Acting:
    """One person's press, submission, command or shortcut: who, the decoded value or
    metadata (`meta`), the raw payload for what is surface-specific, and how to answer."""

    user: str
    meta: Any
    body: dict[str, Any]
    slack: Surface
    respond: Respond | None = None
    values: dict[str, Any] = field(default_factory=dict)
    """A modal's `state.values`; empty for other surfaces."""

    def tell(self, text: str) -> None:
        """Only this person sees it; the message they clicked stays as it is."""
        self.slack.about_to_call()
        if self.respond is not None:
            self.respond(text=text, response_type="ephemeral", replace_original=False)

    def open_modal(self, view: dict[str, Any]) -> None:
        """Open `view` on the trigger of this interaction (valid for 3 s)."""
        self.slack.open_modal(self.body["trigger_id"], view)


def refuse(respond: Respond | None, body: dict[str, Any], slack: Surface, why: str) -> None:
    """Tell only the clicker why nothing happened."""
    slack.about_to_call()
    if respond is not None and body.get("response_url"):
        respond(text=f":no_entry: {why}", response_type="ephemeral", replace_original=False)
        return
    channel = (body.get("channel") or {}).get("id")
    if channel:
        slack.ephemeral(channel, body["user"]["id"], f":no_entry: {why}")


def case_id(value: str | None) -> int:
    """The value of a case or offer button: the row's id."""
    return int(value or "")


def button(
    act: Callable[[Acting], None], value: Callable[[str | None], Any] = case_id
) -> Callable[..., None]:
    """A Bolt action listener: ack, decode the button's value with `value`, run `act`,
    answer a Refused ephemerally."""
    return element(act, lambda pressed: value(pressed.get("value")))


def element(
    act: Callable[[Acting], None], decode: Callable[[dict[str, Any]], Any]
) -> Callable[..., None]:
    """A Bolt action listener for any block element (a checkbox has no `value`, but its
    `block_id` and `selected_options`): decode the element's payload with `decode`, run
    `act`, answer a Refused ephemerally.

    The acknowledgement waits for `act`'s commit (milliseconds), or goes out just before
    its first Slack call (opening a modal, answering the person): a press that Slack shows
    as taken is never lost with the process, and one whose work failed (the database down)
    is answered with an error, so the person sees it and presses again. Work still going
    after `ACK_BUDGET_SECONDS` (Slack answering slowly while the team is looked up, a
    database that hangs) is acknowledged then, before Slack's 3 s run out, and goes on."""

    def listener(
        ack: Ack, body: dict[str, Any], respond: Respond, client: Any, context: BoltContext
    ) -> None:
        once = _Once(ack)
        deadline = _ack_by_budget(context, once)
        try:
            slack = Surface(client, before_call=once.ensure)
            meta = decode(body["actions"][0])
            try:
                act(Acting(body["user"]["id"], meta, body, slack, respond))
            except Refused as why:
                refuse(respond, body, slack, str(why))
            except SlackApiError as err:
                if not _trigger_ran_out(err):
                    raise
                log.warning("a press's modal opened too late for Slack: %s", err)
                refuse(respond, body, slack, TRIGGER_RAN_OUT.format(again="press it again"))
        finally:
            deadline.cancel()
        once.ensure()

    return listener


def submission(
    act: Callable[[Acting], Errors | Update | None],
    refused_field: str,
    meta: type[Meta] | None = None,
    after: Callable[[Acting], None] | None = None,
) -> Callable[..., None]:
    """A Bolt view listener. `meta` is the typed `private_metadata` the modal carries
    (`slack_edge.modals`); without it `Acting.meta` is the raw text, for a modal whose
    metadata is decoded (and a bad one refused inline) by `act` itself. `act` returns
    field errors, nothing (done: what it accepted is committed, a durable job where the
    work is slow), or the view that replaces the modal; a Refused becomes an inline error
    on its `field` if it names one, else on `refused_field`. `after` runs once an accepted
    submission is acknowledged (e.g. to publish the App Home again)."""

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: Any) -> None:
        text = view.get("private_metadata")
        decoded = decode(meta, text) if meta is not None else text
        values = view["state"]["values"]
        acting = Acting(body["user"]["id"], decoded, body, Surface(client), None, values)
        try:
            result = act(acting)
        except Refused as why:
            field = getattr(why, "field", None) or refused_field
            ack(response_action="errors", errors={field: str(why)})
            return
        if isinstance(result, Update):
            ack(response_action="update", view=result.view)
            return
        if isinstance(result, dict) and result:
            ack(response_action="errors", errors=result)
            return
        ack()
        if after is not None:
            after(acting)

    return listener


class _Once:
    """Bolt's ack for a command, remembering whether it was called (a command is acked
    once, with or without an immediate answer). `late` delivers an answer given after the
    budget's timer acknowledged without it (a command's response_url)."""

    def __init__(self, ack: Ack, late: Callable[..., Any] | None = None) -> None:
        self._ack = ack
        self._late = late
        self.done = False
        self._lock = threading.Lock()

    def __call__(self, **answer: Any) -> None:
        with self._lock:
            if not self.done:
                self.done = True
                self._ack(**answer)
                return
        if answer and self._late is not None:
            self._late(**answer)

    def ensure(self) -> None:
        """Acknowledge now unless that was done (safe from a timer's thread)."""
        with self._lock:
            if self.done:
                return
            self.done = True
            self._ack()


def command(act: Callable[[Acting, Callable[..., None]], None]) -> Callable[..., None]:
    """A Bolt command listener: `act(acting, ack)` acks (with an immediate answer or not)
    before slow work; a Refused answers only the person, as the ack or ephemerally. Work
    still going at `ACK_BUDGET_SECONDS` (a look-up Slack answers slowly) is acknowledged
    then, and an answer given after that goes on the command's response_url."""

    def listener(
        ack: Ack, command: dict[str, Any], respond: Respond, client: Any, context: BoltContext
    ) -> None:
        once = _Once(ack, late=lambda **answer: respond(replace_original=False, **answer))
        deadline = _ack_by_budget(context, once)
        acting = Acting(command["user_id"], command, command, Surface(client), respond)
        try:
            act(acting, once)
        except Refused as why:
            once(response_type="ephemeral", text=f":no_entry: {why}")
        except SlackApiError as err:
            if not _trigger_ran_out(err):
                raise
            log.warning("a command's modal opened too late for Slack: %s", err)
            text = TRIGGER_RAN_OUT.format(again="type the command again")
            once(response_type="ephemeral", text=f":no_entry: {text}")
        finally:
            deadline.cancel()
        once.ensure()

    return listener


def shortcut(act: Callable[[Acting], None]) -> Callable[..., None]:
    """A Bolt shortcut listener: ack, run `act` with the shortcut payload as `meta`."""

    def listener(ack: Ack, shortcut: dict[str, Any], respond: Respond, client: Any) -> None:
        ack()
        slack = Surface(client)
        try:
            act(Acting(shortcut["user"]["id"], shortcut, shortcut, slack, respond))
        except Refused as why:
            refuse(respond, shortcut, slack, str(why))

    return listener


def event(act: Callable[[Acting, BoltContext], None]) -> Callable[..., None]:
    """A Bolt event listener run after Bolt's acknowledgement, for work that may be lost
    with the process (publishing an App Home): `meta` is the event. Nobody waits on an
    event, so a Refused is only logged. Work that must survive `kill -9` is registered
    with `on_event` instead."""

    def listener(
        event: dict[str, Any], body: dict[str, Any], context: BoltContext, client: Any
    ) -> None:
        _run_event(act, event, body, context, client)

    return listener


def on_event(app: App, name: str, act: Callable[[Acting, BoltContext], None]) -> None:
    """Handle event `name` before acknowledging it: `act` commits its work (milliseconds:
    rows and outbox messages, no slow Slack call) and only then does Slack get its 200. A
    process killed before that, or a database that cannot be reached (answered 503), leaves
    the event unacknowledged and Slack sends it again (Slack docs: Events API, *Retries*,
    up to three times within the hour); each `act` is idempotent, so a retry of an event
    that was handled changes nothing (README, *What survives what*). Work still going after
    `ACK_BUDGET_SECONDS` (Slack slow to answer a look-up, a database that hangs) is left
    to finish and answered 503 too: Slack's retry finds it done."""

    def handle_then_ack(
        body: dict[str, Any], context: BoltContext, client: Any, next: Callable[[], Any]
    ) -> BoltResponse:
        event = body.get("event") or {}
        work = _EVENT_THREADS.submit(_run_event, act, event, body, context, client)
        try:
            work.result(timeout=ACK_BUDGET_SECONDS)
        except TimeoutError:
            log.warning("event %s still being handled after %s s; Slack will send it again",
                        name, ACK_BUDGET_SECONDS)  # fmt: skip
            work.add_done_callback(lambda done: _said_if_failed(name, done))
            return _send_again()
        except Exception as err:
            if not unavailable(err):
                raise
            log.warning("event %s not handled: database unavailable; Slack will retry", name)
            return _send_again()
        return BoltResponse(status=200, body="")

    app.event(name, middleware=[handle_then_ack])(_handled_before_ack)


def _said_if_failed(name: str, work: Future[None]) -> None:
    """Work that outlived its acknowledgement budget and then failed has nobody waiting to
    see its error (its request was answered 503): logged, never lost in silence. Slack's
    retry runs the work again."""
    err = work.exception()
    if err is not None:
        log.error("event %s failed after its acknowledgement budget: %s", name, err,
                  exc_info=err)  # fmt: skip


def _handled_before_ack() -> None:
    """Never runs: `on_event`'s middleware answers Slack itself."""


def _run_event(
    act: Callable[[Acting, BoltContext], None],
    event: dict[str, Any],
    body: dict[str, Any],
    context: BoltContext,
    client: Any,
) -> None:
    user = event.get("user") or ""
    user = str(user.get("id") or "") if isinstance(user, dict) else str(user)  # user_change
    try:
        act(Acting(user, event, body, Surface(client)), context)
    except Refused as why:
        log.info("event %s refused: %s", event.get("type"), why)


def options(act: Callable[[str, str], list[dict[str, Any]]]) -> Callable[..., None]:
    """A Bolt options (type-ahead) listener: `act(typed, user)` returns the options to
    offer to the person typing."""

    def listener(ack: Ack, payload: dict[str, Any], body: dict[str, Any]) -> None:
        user = str((body.get("user") or {}).get("id") or "")
        ack(options=act(str(payload.get("value", "")), user))

    return listener
