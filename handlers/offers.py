"""Save offers in the thread: propose, approve / reject / counter, the customer's answer."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.amounts import parse_amount
from bot.cases.models import Refused
from bot.offers.service import read_offer
from bot.services import Services
from handlers.cases import case_id_of, refuse
from slack_edge import offer_modals as views
from slack_edge.case_modals import field_value
from slack_edge.messages import CaseAction
from slack_edge.modals import CaseMeta, OfferMeta, decode
from slack_edge.offer_messages import OfferAction


def register(app: App, services: Services) -> None:
    offers = services.offers

    @app.action(CaseAction.OFFER.value)
    def propose_button(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        try:
            case = services.cases.may(case_id_of(body), body["user"]["id"], "offer")
        except Refused as why:
            refuse(respond, body, client, str(why))
            return
        services.cases.record_press(case.id, body["user"]["id"])
        currency = services.cases.currency_of(case.id)
        view = views.propose_modal(case.id, offers.history(case.id), currency)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(views.PROPOSE)
    def propose(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        data, errors = read_offer({f: field_value(values, f, f) for f in views.FIELDS})
        if data is None:
            ack(response_action="errors", errors=errors)
            return
        case_id = decode(CaseMeta, view["private_metadata"]).case_id
        try:
            offers.propose(case_id, body["user"]["id"], data)
        except Refused as why:
            ack(response_action="errors", errors={"justification": str(why)})
            return
        ack()

    for action, decision in ((OfferAction.APPROVE, "approve"), (OfferAction.REJECT, "reject")):
        app.action(action.value)(_decision_listener(services, decision))
    for action, accepted in ((OfferAction.ACCEPTED, True), (OfferAction.DECLINED, False)):
        app.action(action.value)(_outcome_listener(services, accepted))

    @app.action(OfferAction.COUNTER.value)
    def counter_button(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        offer_id = int(body["actions"][0]["value"])
        try:
            offers.may_decide(offer_id, body["user"]["id"])
        except Refused as why:
            refuse(respond, body, client, str(why))
            return
        view = views.counter_modal(offer_id)
        client.views_open(trigger_id=body["trigger_id"], view=view)

    @app.view(views.COUNTER)
    def counter(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        try:
            value = parse_amount(str(field_value(values, "value", "value")))
        except ValueError as err:
            ack(response_action="errors", errors={"value": f"Counter value: {err}."})
            return
        offer_id = decode(OfferMeta, view["private_metadata"]).offer_id
        note = field_value(values, "note", "note")
        try:
            offers.decide(offer_id, body["user"]["id"], "counter", value, note)
        except Refused as why:
            ack(response_action="errors", errors={"value": str(why)})
            return
        ack()


def _decision_listener(services: Services, decision: str) -> Any:
    def listener(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        try:
            services.offers.decide(int(body["actions"][0]["value"]), body["user"]["id"], decision)
        except Refused as why:
            refuse(respond, body, client, str(why))

    return listener


def _outcome_listener(services: Services, accepted: bool) -> Any:
    def listener(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        offer_id = int(body["actions"][0]["value"])
        try:
            services.offers.record_outcome(offer_id, body["user"]["id"], accepted)
        except Refused as why:
            refuse(respond, body, client, str(why))

    return listener
