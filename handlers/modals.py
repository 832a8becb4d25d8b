"""Opening a modal with nothing slow before `views.open`: trigger ids expire after 3 s.

Deciding whether a click may open its modal needs the team (who the managers are). With
a team known from before (of any age) the decision takes a database read and the modal
opens at once. With none yet (just started, caches empty), a loading modal opens first,
the team is resolved (Slack may say "retry in 4 s"), then `views.update` shows the modal,
or why the person may not. Slack: api.slack.com/surfaces/modals#updating_views.
"""

from __future__ import annotations

from collections.abc import Callable

from slack_sdk import WebClient

from bot.cases.models import Refused
from bot.services import Services
from slack_edge.case_modals import loading_modal, refusal_modal


def open_decided(
    services: Services,
    client: WebClient,
    trigger_id: str,
    title: str,
    decide: Callable[[], dict],
) -> None:
    """Open the modal `decide` builds; `decide` raises Refused when the person may not.

    With a known team, Refused propagates before anything opens (the caller answers the
    click ephemerally); otherwise the loading modal is replaced by the refusal.
    """
    if services.team.known():
        client.views_open(trigger_id=trigger_id, view=decide())
        return
    opened = client.views_open(trigger_id=trigger_id, view=loading_modal(title))
    view_id = str(opened["view"]["id"])
    try:
        view = decide()
    except Refused as why:
        view = refusal_modal(title, str(why))
    client.views_update(view_id=view_id, view=view)
