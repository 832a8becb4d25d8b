"""Main-contact turnover listeners: the modal, the checklist's checkboxes and buttons.

Thin: decode the payload, call `services.turnover`, render. A refusal changes nothing and
is told only to the person (ephemerally, or inline in the modal before it closes).
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.cases.models import Refused, Signal
from bot.services import Services
from bot.vocab import Kind
from handlers.acting import Acting, button, refuse, submission
from slack_edge.surface import Surface
from slack_edge.turnover_messages import TurnoverAction
from slack_edge.turnover_modals import (
    TurnoverMeta,
    TurnoverView,
    assign_modal,
    read_answers,
    read_assignment,
    turnover_modal,
)

log = logging.getLogger(__name__)


def open_turnover_modal(slack: Surface, trigger_id: str, label: str, meta: TurnoverMeta) -> None:
    """Open the empty turnover modal for an account (the /churn command's way in)."""
    slack.open_modal(trigger_id, turnover_modal(label, meta, None))


def register(app: App, services: Services) -> None:
    _register_buttons(app, services)
    _register_views(app, services)


def _register_buttons(app: App, services: Services) -> None:
    turnover = services.turnover

    def fill(press: Acting) -> None:
        target = turnover.for_case(press.meta, press.user)
        meta = TurnoverMeta(target.account_id, case_id=target.case_id, source="signals")
        open_turnover_modal(press.slack, press.body["trigger_id"], target.account_label, meta)

    def update(press: Acting) -> None:
        target = turnover.for_turnover(press.meta, press.user)
        assert target.plan is not None
        meta = TurnoverMeta(
            target.account_id, case_id=target.case_id, turnover_id=target.plan.turnover_id
        )
        view = turnover_modal(target.account_label, meta, target.plan.answers)
        press.open_modal(view)

    def assign(press: Acting) -> None:
        target = turnover.for_turnover(press.meta, press.user)
        assert target.plan is not None
        view = assign_modal(target.plan)
        press.open_modal(view)

    app.action(TurnoverAction.FILL.value)(button(fill))
    app.action(TurnoverAction.UPDATE.value)(button(update))
    app.action(TurnoverAction.ASSIGN.value)(button(assign))

    @app.action(TurnoverAction.STEP.value)
    def step(ack: Ack, body: dict[str, Any], respond: Respond, client: Any) -> None:
        ack()
        action = body["actions"][0]
        try:
            step_id = int(str(action.get("block_id", "")).removeprefix("step_"))
        except ValueError:
            log.warning("turnover step checkbox without a step block id: %r", action)
            return
        done = bool(action.get("selected_options"))
        try:
            turnover.tick(step_id, body["user"]["id"], done)
        except Refused as why:
            refuse(respond, body, Surface(client), str(why))


def _register_views(app: App, services: Services) -> None:
    turnover = services.turnover

    @app.view(TurnoverView.ANSWERS.value)
    def answers(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _submit_answers(services, ack, body, view)

    def assigned(sent: Acting) -> None:
        chosen = read_assignment(sent.values)
        if chosen is not None:  # None: the "every step is done" modal
            turnover.assign(chosen[0], sent.user, chosen[1])

    app.view(TurnoverView.ASSIGN.value)(submission(assigned, "step"))


def _submit_answers(services: Services, ack: Ack, body: dict[str, Any], view: dict) -> None:
    """Validate inline, check who may save, acknowledge, then save."""
    answers, errors = read_answers(view["state"]["values"])
    if answers is None:
        ack(response_action="errors", errors=errors)
        return
    user = body["user"]["id"]
    try:
        meta = TurnoverMeta.decode(view.get("private_metadata"))
        services.turnover.check_submit(user, meta.case_id, meta.turnover_id)
    except (Refused, ValueError) as why:
        ack(response_action="errors", errors={"contact_name": str(why)})
        return
    ack()
    signal = Signal(
        kind=Kind.CONTACT_LEFT,
        source=meta.source,
        actor=user,
        summary=meta.note or f"{answers.contact_name} left.",
        dedupe=("slack-view", view["id"]),
        respond_url=meta.response_url,
    )
    try:
        services.turnover.submit(
            answers,
            user,
            account_id=meta.account_id,
            case_id=meta.case_id,
            turnover_id=meta.turnover_id,
            signal=signal,
        )
    except Refused as why:  # the case closed between the check and the save
        log.info("turnover not saved for %s: %s", user, why)
