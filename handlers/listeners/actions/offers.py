"""Save offers in the thread: propose, approve / reject / counter, the customer's answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.amounts import parse_amount
from bot.offers.service import read_offer
from bot.services import Services
from handlers.acting import Press, button, submission
from slack_edge import offer_modals as views
from slack_edge.case_modals import field_value
from slack_edge.messages import CaseAction
from slack_edge.modals import CaseMeta, OfferMeta, decode
from slack_edge.offer_messages import OfferAction


def register(app: App, services: Services) -> None:
    """Save offers: propose (button + modal), approve/reject, counter, the customer's answer."""
    offers = services.offers

    def propose_button(press: Press) -> None:
        case = services.cases.may(press.value, press.user, "offer")
        services.cases.record_press(case.id, press.user)
        currency = services.cases.currency_of(case.id)
        view = views.propose_modal(case.id, offers.history(case.id), currency)
        press.client.views_open(trigger_id=press.body["trigger_id"], view=view)

    def propose(user: str, view: dict[str, Any]) -> dict[str, str] | None:
        values = view["state"]["values"]
        data, errors = read_offer({f: field_value(values, f, f) for f in views.FIELDS})
        if data is None:
            return errors
        offers.propose(decode(CaseMeta, view["private_metadata"]).case_id, user, data)
        return None

    def counter_button(press: Press) -> None:
        offers.may_decide(press.value, press.user)
        view = views.counter_modal(press.value)
        press.client.views_open(trigger_id=press.body["trigger_id"], view=view)

    def counter(user: str, view: dict[str, Any]) -> dict[str, str] | None:
        values = view["state"]["values"]
        try:
            value = parse_amount(str(field_value(values, "value", "value")))
        except ValueError as err:
            return {"value": f"Counter value: {err}."}
        offer_id = decode(OfferMeta, view["private_metadata"]).offer_id
        offers.decide(offer_id, user, "counter", value, field_value(values, "note", "note"))
        return None

    app.action(CaseAction.OFFER.value)(button(propose_button))
    app.view(views.PROPOSE)(submission(propose, "justification"))
    app.action(OfferAction.COUNTER.value)(button(counter_button))
    app.view(views.COUNTER)(submission(counter, "value"))
    for action, decision in ((OfferAction.APPROVE, "approve"), (OfferAction.REJECT, "reject")):
        app.action(action.value)(button(_decide(services, decision)))
    for action, accepted in ((OfferAction.ACCEPTED, True), (OfferAction.DECLINED, False)):
        app.action(action.value)(button(_outcome(services, accepted)))


def _decide(services: Services, decision: str) -> Callable[[Press], None]:
    def act(press: Press) -> None:
        services.offers.decide(press.value, press.user, decision)

    return act


def _outcome(services: Services, accepted: bool) -> Callable[[Press], None]:
    def act(press: Press) -> None:
        services.offers.record_outcome(press.value, press.user, accepted)

    return act
