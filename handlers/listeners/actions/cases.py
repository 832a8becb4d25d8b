"""Case buttons in the thread and in DMs. Thin: the press is decoded by `handlers.acting`,
one service call decides, the thread line and the updated root confirm it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.common.vocab import CaseStatus
from bot.people.access import Action
from bot.runtime.services import Services
from handlers.acting import Acting, button
from handlers.opening_modals import modal_button
from slack_edge import case_modals as views
from slack_edge.case_messages import CaseAction


def register(app: App, services: Services) -> None:
    _register_direct_buttons(app, services)
    _register_modal_buttons(app, services)


def _direct_listener(act: Callable[[int, str], Any]) -> Callable[..., None]:
    """A button that acts at once; the thread line and the updated root confirm it."""
    return button(lambda press: act(press.meta, press.user))


def _modal_listener(
    services: Services, action: Action, build: Callable[[Any], dict]
) -> Callable[..., None]:
    """A case button that opens a modal, after checking the person may do it at all.
    Opening it changes nothing: only the submission acts on the case."""

    def decide(press: Acting) -> dict:
        return build(services.cases.may(press.meta, press.user, action))

    return modal_button(services, "Case", decide)


def _register_direct_buttons(app: App, services: Services) -> None:
    cases = services.cases
    actions: dict[CaseAction, Callable[[int, str], Any]] = {
        CaseAction.ACKNOWLEDGE: cases.acknowledge,
        CaseAction.SAVED: lambda case_id, user: cases.close(case_id, user, CaseStatus.SAVED),
        CaseAction.CHURNED: lambda case_id, user: cases.close(case_id, user, CaseStatus.CHURNED),
        CaseAction.REOPEN: cases.reopen,
        CaseAction.MOVE_ON_CONFIRM: lambda c, u: cases.confirm_move_on(c, u, confirm=True),
        CaseAction.MOVE_ON_KEEP: lambda c, u: cases.confirm_move_on(c, u, confirm=False),
    }
    for action, act in actions.items():
        app.action(action.value)(_direct_listener(act))


def _register_modal_buttons(app: App, services: Services) -> None:
    modals: dict[CaseAction, tuple[Action, Callable[[Any], dict]]] = {
        CaseAction.REASSIGN: (Action.REASSIGN, lambda c: views.reassign_modal(c.id, c.owner)),
        CaseAction.RISK: (Action.RISK, lambda c: views.risk_modal(c.id, c.risk)),
        CaseAction.NOTE: (Action.NOTE, lambda c: views.note_modal(c.id)),
        CaseAction.MOVE_ON: (Action.MOVE_ON, lambda c: views.move_on_modal(c.id)),
        CaseAction.REMOVE_CSM: (Action.REMOVE_CSM, lambda c: views.remove_csm_modal(c.id)),
        CaseAction.SNOOZE: (Action.SNOOZE, lambda c: views.snooze_modal(c.id)),
        CaseAction.REMIND: (Action.REMIND, lambda c: views.remind_modal(c.id)),
    }
    for button_id, (action, build) in modals.items():
        app.action(button_id.value)(_modal_listener(services, action, build))
