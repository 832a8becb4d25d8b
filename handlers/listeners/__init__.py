"""Bolt listeners, one module (or package, one module per domain) per Slack surface, each
with `register(app, services)`; `handlers.slack_app` calls them. Every listener goes through
`handlers.acting`, which acks, decodes and answers a `Refused`."""
