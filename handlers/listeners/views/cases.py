"""Case modal submissions: the new-case modal and the modals a case button opens. Thin: the
metadata is decoded by `handlers.acting`, the fields read here, one service call decides."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from slack_bolt import App

from bot.cases.models import MOVE_ON_REASONS, Refused, Signal, snooze_until
from bot.common.vocab import CaseStatus, Kind, MoveOnReason
from bot.people.access import Action
from bot.runtime.services import Services
from handlers.acting import Acting, Errors, Update, submission
from handlers.opening_cases import queue_case
from slack_edge import case_modals as views
from slack_edge.modals import CaseMeta, NewCaseMeta, issued_at
from slack_edge.turnover_modals import TurnoverMeta, turnover_modal


def register(app: App, services: Services) -> None:
    app.view(views.NEW_CASE)(submission(lambda s: new_case(services, s), "account", NewCaseMeta))
    _register_case_modals(app, services)


def new_case(services: Services, sent: Acting) -> Errors | Update | None:
    """Inline errors, the turnover modal (kind contact_left), or one case: its job is
    committed before the modal is acknowledged (closed), and a worker opens it."""
    services.cases.access.require(sent.user, Action.OPEN_CASE)
    data, errors = views.read_new_case(sent.values)
    if data is None or data.account_id is None:
        return errors
    meta: NewCaseMeta = sent.meta
    if data.kind == Kind.CONTACT_LEFT:  # the kind picker leads on to the turnover modal
        return Update(turnover_view(services, data, meta))
    signal = Signal(
        kind=data.kind,
        source=meta.source,
        actor=sent.user,
        summary=data.reason,
        arr=data.arr,
        renewal_date=data.renewal,
        link=meta.link,
        dedupe=("slack-view", sent.body["view"]["id"]),
        respond_url=meta.response_url,
        respond_issued=issued_at(meta.response_url_issued),
    )
    queue_case(services, data.account_id, signal)
    return None


def turnover_view(services: Services, data: views.NewCaseInput, meta: NewCaseMeta) -> dict:
    """The turnover modal that replaces the new-case modal when its kind is contact_left."""
    assert data.account_id is not None
    target = services.turnover.for_account(data.account_id)
    turnover_meta = TurnoverMeta(
        target.account_id,
        note=data.reason or None,
        source=meta.source or "modal",
        response_url=meta.response_url,
        response_url_issued=meta.response_url_issued,
    )
    return turnover_modal(target.account_label, turnover_meta, None)


def _submitted(
    act: Callable[[int, str, dict[str, Any]], Any], error_block: str
) -> Callable[..., None]:
    """A case modal's submission: Refused comes back as an inline error, nothing saved."""

    def submit(sent: Acting) -> None:
        act(sent.meta.case_id, sent.user, sent.values)

    return submission(submit, error_block, CaseMeta)


def _register_case_modals(app: App, services: Services) -> None:
    cases = services.cases
    value = views.field_value

    def move_on(case_id: int, user: str, values: dict[str, Any]) -> Any:
        key = value(values, "reason", "reason")
        detail = (value(values, "detail", "detail") or "").strip()
        if key == MoveOnReason.OTHER and not detail:
            raise Refused("Say why, for “Other”.")
        reason = MOVE_ON_REASONS.get(key or "", "")
        return cases.close(
            case_id, user, CaseStatus.MOVED_ON, f"{reason}. {detail}".strip(". ") or None
        )

    def snooze(case_id: int, user: str, values: dict[str, Any]) -> Any:
        day = views.picked_date(values, "until", "until")
        if day is False:
            raise Refused("Pick a date from the calendar.")
        choice = value(values, "for", "for") or "1d"
        until = snooze_until(choice, day or None, services.clock.now(), services.policy)
        return cases.snooze(case_id, user, until)

    def remind(case_id: int, user: str, values: dict[str, Any]) -> Any:
        epoch = str(value(values, "at", "at") or "")
        if not epoch.isdigit():
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
