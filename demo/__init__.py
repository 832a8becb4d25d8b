"""Savedesk's local workspace: a Slack stand-in, a Slack-like page and sample data, so the
product can be tried (and browser-tested) without a Slack workspace: `python app.py demo`."""
