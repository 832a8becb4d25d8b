"""Outbound webhooks: signed events about cases, offers, surveys, plans and invoices, sent
to the endpoints in the policy's `[[outbound_webhooks]]` (docs/webhooks.md, *Outbound webhooks*)."""
