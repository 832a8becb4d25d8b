"""The one place that speaks Slack: slack_sdk clients, Block Kit builders, action ids, typed
`private_metadata` and button values, and the implementations of `bot.ports`.

`bot/` imports only the builders and codecs from here (never slack_sdk itself); listeners in
`handlers/` use all of it.
"""
