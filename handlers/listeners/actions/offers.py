"""Save-offer buttons in the thread: propose (opens the modal), approve / reject, counter
(opens the modal), the customer's answer."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.offers.models import OfferDecision
from bot.people.access import Action
from bot.runtime.services import Services
from handlers.acting import Acting, button
from handlers.opening_modals import modal_button
from slack_edge import offer_modals as views
from slack_edge.case_messages import CaseAction
from slack_edge.offer_messages import OfferAction


def register(app: App, services: Services) -> None:
    """Save offers: propose, approve/reject, counter, the customer's answer."""
    offers = services.offers

    def propose_modal(press: Acting) -> dict:
        case = services.cases.may(press.meta, press.user, Action.OFFER)
        currency = services.cases.currency_of(case.id)
        ledger = offers.concessions(case.id)
        return views.propose_modal(case.id, offers.history(case.id), currency, ledger)

    def counter_modal(press: Acting) -> dict:
        offers.may_decide(press.meta, press.user)
        return views.counter_modal(press.meta)

    app.action(CaseAction.OFFER.value)(modal_button(services, "Save offer", propose_modal))
    app.action(OfferAction.COUNTER.value)(modal_button(services, "Counter offer", counter_modal))
    for action, decision in (
        (OfferAction.APPROVE, OfferDecision.APPROVE),
        (OfferAction.REJECT, OfferDecision.REJECT),
    ):
        app.action(action.value)(button(_decide(services, decision)))
    for action, accepted in ((OfferAction.ACCEPTED, True), (OfferAction.DECLINED, False)):
        app.action(action.value)(button(_outcome(services, accepted)))


def _decide(services: Services, decision: OfferDecision) -> Callable[[Acting], None]:
    def act(press: Acting) -> None:
        services.offers.decide(press.meta, press.user, decision)

    return act


def _outcome(services: Services, accepted: bool) -> Callable[[Acting], None]:
    def act(press: Acting) -> None:
        services.offers.record_outcome(press.meta, press.user, accepted)

    return act
