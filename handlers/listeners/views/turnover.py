"""Main-contact turnover submissions: the turnover modal's answers and the assign-a-step
modal.

The answers are checked inline (field errors, who may save) before the acknowledgement;
the save, which may open a case, runs after it. A refusal changes nothing and is told
inline in the modal before it closes.
"""

from __future__ import annotations

import logging

from slack_bolt import App

from bot.cases.models import Refused, Signal
from bot.common.vocab import Kind
from bot.runtime.services import Services
from handlers.acting import Acting, Errors, submission
from slack_edge.modals import issued_at
from slack_edge.turnover_modals import TurnoverMeta, TurnoverView, read_answers, read_assignment

log = logging.getLogger(__name__)


def register(app: App, services: Services) -> None:
    turnover = services.turnover

    def check(sent: Acting) -> Errors | None:
        answers, errors = read_answers(sent.values)
        if answers is None:
            return errors
        meta = _meta(sent)
        turnover.check_submit(sent.user, meta.case_id, meta.turnover_id)
        return None

    def assigned(sent: Acting) -> None:
        chosen = read_assignment(sent.values)
        if chosen is not None:  # None: the "every step is done" modal
            turnover.assign(chosen[0], sent.user, chosen[1])

    app.view(TurnoverView.ANSWERS.value)(
        submission(check, "contact_name", after=lambda sent: _save(services, sent))
    )
    app.view(TurnoverView.ASSIGN.value)(submission(assigned, "step"))


def _meta(sent: Acting) -> TurnoverMeta:
    """The modal's metadata; not a turnover modal's (forged or stale) is refused."""
    try:
        return TurnoverMeta.decode(sent.meta)
    except ValueError as why:
        raise Refused(str(why)) from None


def _save(services: Services, sent: Acting) -> None:
    """After the acknowledgement: save the answers `check` accepted (opening the case)."""
    answers, _ = read_answers(sent.values)
    assert answers is not None
    meta = _meta(sent)
    signal = Signal(
        kind=Kind.CONTACT_LEFT,
        source=meta.source,
        actor=sent.user,
        summary=meta.note or f"{answers.contact_name} left.",
        dedupe=("slack-view", sent.body["view"]["id"]),
        respond_url=meta.response_url,
        respond_issued=issued_at(meta.response_url_issued),
    )
    try:
        services.turnover.submit(
            answers,
            sent.user,
            account_id=meta.account_id,
            case_id=meta.case_id,
            turnover_id=meta.turnover_id,
            signal=signal,
        )
    except Refused as why:  # the case closed between the check and the save
        log.info("turnover not saved for %s: %s", sent.user, why)
