"""Opening a modal with nothing slow before `views.open`: trigger ids expire after 3 s.

Deciding whether a click may open its modal needs the team (who the managers are). With
a team known from before (of any age) the decision takes a database read and the modal
opens at once. With none yet (just started, caches empty), a loading modal opens first,
the team is resolved (Slack may say "retry in 4 s"), then `views.update` shows the modal,
or why the person may not. Slack: api.slack.com/surfaces/modals#updating_views.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.cases.models import Refused
from bot.runtime.services import Services
from handlers.acting import Acting, button
from slack_edge.case_modals import loading_modal, refusal_modal
from slack_edge.surface import Surface
from slack_edge.turnover_modals import TurnoverMeta, turnover_modal


def open_decided(
    services: Services,
    slack: Surface,
    trigger_id: str,
    title: str,
    decide: Callable[[], dict],
) -> None:
    """Open the modal `decide` builds; `decide` raises Refused when the person may not.

    With a known team, Refused propagates before anything opens (the caller answers the
    click ephemerally); otherwise the loading modal is replaced by the refusal.
    """
    if services.team.known():
        slack.open_modal(trigger_id, decide())
        return
    view_id = slack.open_modal(trigger_id, loading_modal(title))
    try:
        view = decide()
    except Refused as why:
        view = refusal_modal(title, str(why))
    slack.update_modal(view_id, view)


def modal_button(
    services: Services, title: str, decide: Callable[[Acting], dict]
) -> Callable[..., None]:
    """A button whose modal is decided (may this person?) and opened with nothing slow
    before `views.open` (above); a refusal answers only the clicker."""

    def open_modal(press: Acting) -> None:
        open_decided(services, press.slack, press.body["trigger_id"], title, lambda: decide(press))

    return button(open_modal)


def open_turnover_modal(slack: Surface, trigger_id: str, label: str, meta: TurnoverMeta) -> None:
    """Open the empty turnover modal for an account: the Fill in button's and `/churn`'s
    way in."""
    slack.open_modal(trigger_id, turnover_modal(label, meta, None))
