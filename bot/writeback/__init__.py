"""Write-back to the systems of record: what Savedesk decides reaches Stripe (docs/stripe.md,
*Write-back to Stripe*). Every call runs in a durable job, never in a Slack listener."""
