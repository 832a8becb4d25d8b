"""Save-offer modal submissions: propose and counter."""

from __future__ import annotations

from slack_bolt import App

from bot.common.amounts import parse_amount
from bot.offers.models import OfferDecision
from bot.offers.service import read_offer
from bot.runtime.services import Services
from handlers.acting import Acting, Errors, submission
from slack_edge import offer_modals as views
from slack_edge.case_modals import field_value
from slack_edge.modals import CaseMeta, OfferMeta


def register(app: App, services: Services) -> None:
    offers = services.offers

    def propose(sent: Acting) -> Errors | None:
        values = sent.values
        data, errors = read_offer({f: field_value(values, f, f) for f in views.FIELDS})
        if data is None:
            return errors
        offers.propose(sent.meta.case_id, sent.user, data)
        return None

    def counter(sent: Acting) -> Errors | None:
        values = sent.values
        try:
            value = parse_amount(str(field_value(values, "value", "value")))
        except ValueError as err:
            return {"value": f"Counter value: {err}."}
        offers.decide(
            sent.meta.offer_id,
            sent.user,
            OfferDecision.COUNTER,
            value,
            field_value(values, "note", "note"),
        )
        return None

    app.view(views.PROPOSE)(submission(propose, "justification", CaseMeta))
    app.view(views.COUNTER)(submission(counter, "value", OfferMeta))
