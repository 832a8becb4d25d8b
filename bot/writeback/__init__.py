"""Write-back to the systems of record: what Savedesk decides reaches Stripe (docs/stripe.md,
*Write-back to Stripe*) and HubSpot (docs/hubspot.md). Every call runs in a durable job,
never in a Slack listener."""
