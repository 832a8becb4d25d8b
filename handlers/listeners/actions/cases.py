"""Case buttons, modals and the account type-ahead. Thin: parse, call bot/, render."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from slack_bolt import Ack, App

from bot.cases.models import MOVE_ON_REASONS, Refused, Signal, snooze_until
from bot.services import Services
from handlers.acting import Press, button, submission
from slack_edge import case_modals as views
from slack_edge.messages import CaseAction
from slack_edge.modals import CaseMeta, decode

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    cases = services.cases
    _register_direct_buttons(app, services)
    _register_modal_buttons(app, services)
    _register_submissions(app, services)

    @app.options(views.ACCOUNT_OPTIONS)
    def account_options(ack: Ack, payload: dict[str, Any]) -> None:
        found = cases.search_accounts(payload.get("value", ""))
        ack(options=[views.account_option(a).to_dict() for a in found])

    @app.view(views.NEW_CASE)
    def new_case(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        data, errors = views.read_new_case(view["state"]["values"])
        if data is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        meta = json.loads(view.get("private_metadata") or "{}")
        user = body["user"]["id"]
        assert data.account_id is not None
        signal = Signal(
            kind=data.kind,
            source=meta.get("source", "modal"),
            actor=user,
            summary=data.reason,
            arr=data.arr,
            renewal_date=data.renewal,
            link=meta.get("link"),
            dedupe=("slack-view", view["id"]),
            respond_url=meta.get("response_url"),
        )
        services.signals.open(data.account_id, signal)


def _direct_listener(act: Callable[[int, str], Any]) -> Callable[..., None]:
    """A button that acts at once; the thread line and the updated root confirm it."""
    return button(lambda press: act(press.value, press.user))


def _modal_listener(
    services: Services, name: str, build: Callable[[Any], dict]
) -> Callable[..., None]:
    """A button that opens a modal, after checking the person may do it at all."""

    def open_modal(press: Press) -> None:
        case = services.cases.may(press.value, press.user, name)
        services.cases.record_press(case.id, press.user)
        press.client.views_open(trigger_id=press.body["trigger_id"], view=build(case))

    return button(open_modal)


def _register_direct_buttons(app: App, services: Services) -> None:
    cases = services.cases
    actions: dict[CaseAction, Callable[[int, str], Any]] = {
        CaseAction.ACKNOWLEDGE: cases.acknowledge,
        CaseAction.SAVED: lambda case_id, user: cases.close(case_id, user, "saved"),
        CaseAction.CHURNED: lambda case_id, user: cases.close(case_id, user, "churned"),
        CaseAction.REOPEN: cases.reopen,
        CaseAction.MOVE_ON_CONFIRM: lambda c, u: cases.confirm_move_on(c, u, confirm=True),
        CaseAction.MOVE_ON_KEEP: lambda c, u: cases.confirm_move_on(c, u, confirm=False),
    }
    for action, act in actions.items():
        app.action(action.value)(_direct_listener(act))


def _register_modal_buttons(app: App, services: Services) -> None:
    modals: dict[CaseAction, tuple[str, Callable[[Any], dict]]] = {
        CaseAction.REASSIGN: ("reassign", lambda c: views.reassign_modal(c.id, c.owner)),
        CaseAction.RISK: ("risk", lambda c: views.risk_modal(c.id, c.risk)),
        CaseAction.NOTE: ("note", lambda c: views.note_modal(c.id)),
        CaseAction.MOVE_ON: ("move_on", lambda c: views.move_on_modal(c.id)),
        CaseAction.REMOVE_CSM: ("remove_csm", lambda c: views.remove_csm_modal(c.id)),
        CaseAction.SNOOZE: ("snooze", lambda c: views.snooze_modal(c.id)),
        CaseAction.REMIND: ("remind", lambda c: views.remind_modal(c.id)),
    }
    for action, (name, build) in modals.items():
        app.action(action.value)(_modal_listener(services, name, build))


def _submitted(
    act: Callable[[int, str, dict[str, Any]], Any], error_block: str
) -> Callable[..., None]:
    """A view-submission listener: Refused comes back as an inline error, nothing saved."""

    def submit(user: str, view: dict[str, Any]) -> None:
        case_id = decode(CaseMeta, view["private_metadata"]).case_id
        act(case_id, user, view["state"]["values"])

    return submission(submit, error_block)


def _register_submissions(app: App, services: Services) -> None:
    cases = services.cases
    value = views.field_value

    def move_on(case_id: int, user: str, values: dict[str, Any]) -> Any:
        key = value(values, "reason", "reason")
        detail = (value(values, "detail", "detail") or "").strip()
        if key == "other" and not detail:
            raise Refused("Say why, for “Other”.")
        reason = MOVE_ON_REASONS.get(key or "", "")
        return cases.close(case_id, user, "moved_on", f"{reason}. {detail}".strip(". ") or None)

    def snooze(case_id: int, user: str, values: dict[str, Any]) -> Any:
        day = value(values, "until", "until")
        until = snooze_until(
            value(values, "for", "for") or "1d",
            date.fromisoformat(day) if day else None,
            services.clock.now(),
            services.policy,
        )
        return cases.snooze(case_id, user, until)

    def remind(case_id: int, user: str, values: dict[str, Any]) -> Any:
        epoch = value(values, "at", "at")
        if epoch is None:
            raise Refused("Pick a date and time.")
        return cases.remind(case_id, user, datetime.fromtimestamp(int(epoch), UTC))

    submissions: list[tuple[str, Callable[[int, str, dict[str, Any]], Any], str]] = [
        (views.REASSIGN, lambda c, u, v: cases.reassign(c, u, value(v, "owner", "owner")), "owner"),
        (views.RISK, lambda c, u, v: cases.set_risk(c, u, value(v, "risk", "risk")), "risk"),
        (views.NOTE, lambda c, u, v: cases.add_note(c, u, value(v, "note", "note") or ""), "note"),
        (views.MOVE_ON, move_on, "detail"),
        (views.SNOOZE, snooze, "until"),
        (views.REMIND, remind, "at"),
        (
            views.REMOVE_CSM,
            lambda c, u, v: cases.remove_csm(c, u, value(v, "reason", "reason") or ""),
            "reason",
        ),
    ]
    for callback, act, block in submissions:
        app.view(callback)(_submitted(act, block))
