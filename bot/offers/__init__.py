"""Save offers on a case: proposed, approved by policy or by the right approver, the customer's
answer. `service` holds OfferService and the offer-nudge step."""
