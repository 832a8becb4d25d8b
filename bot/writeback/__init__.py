"""Write-back to the systems of record: what Savedesk decides reaches Stripe (README,
*Write-back to Stripe*). Every call runs in a durable job, never in a Slack listener."""
