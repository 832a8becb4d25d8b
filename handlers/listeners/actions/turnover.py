"""Main-contact turnover buttons: Fill in / Update open the turnover modal, Assign the
assign-a-step modal, and the checklist's checkboxes tick a step (the submissions are
`handlers/listeners/views/turnover.py`).

Thin: `handlers.acting` decodes the press, one call to `services.turnover` decides, the
modal renders. A refusal changes nothing and is told only to the person, ephemerally.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.runtime.services import Services
from handlers.acting import Acting, button, element
from handlers.opening_modals import open_turnover_modal
from slack_edge.turnover_messages import TurnoverAction
from slack_edge.turnover_modals import TurnoverMeta, assign_modal, turnover_modal

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
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

    def step(press: Acting) -> None:
        if press.meta is not None:
            step_id, done = press.meta
            turnover.tick(step_id, press.user, done)

    app.action(TurnoverAction.FILL.value)(button(fill))
    app.action(TurnoverAction.UPDATE.value)(button(update))
    app.action(TurnoverAction.ASSIGN.value)(button(assign))
    app.action(TurnoverAction.STEP.value)(element(step, _ticked))


def _ticked(checkbox: dict[str, Any]) -> tuple[int, bool] | None:
    """A step's checkbox: the step's id (its block is `step_<id>`) and whether it is now
    ticked; None (logged, nothing done) for a checkbox outside a step's block."""
    try:
        step_id = int(str(checkbox.get("block_id", "")).removeprefix("step_"))
    except ValueError:
        log.warning("turnover step checkbox without a step block id: %r", checkbox)
        return None
    return step_id, bool(checkbox.get("selected_options"))
