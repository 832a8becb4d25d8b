"""The one outbox: every outgoing Slack message is a row written with the change behind it.

`post`/`reply`/`update`/`linked`/`respond`/`notify` (bot/outbox/queue.py) queue rows inside
the caller's unit of work. The `Deliverer` (bot/outbox/deliverer.py) sends them later,
channels in parallel and each at Slack's pace (bot/outbox/pacing.py), with durable retries:
what a refusal from Slack means, and what happens then, is decided in one place
(bot/outbox/refusals.py; docs/slack.md, *When Slack says no*). Retries live in the rows rather than
in an in-process retry handler so that they survive restarts and never block a worker.
"""

from bot.outbox.courier import RESPONSE_URL_LIFETIME
from bot.outbox.deliverer import LEASE, LINK_WAIT, Deliverer, DeliveryReport
from bot.outbox.links import LINK_TOKEN
from bot.outbox.outcomes import UNKNOWN_TRIES, Result
from bot.outbox.pacing import BURST, POST_PACE_SECONDS, Pacer, retry_after
from bot.outbox.queue import (
    RESPOND,
    linked,
    notify,
    post,
    reply,
    respond,
    step_completed,
    update,
)
from bot.outbox.refusals import Refusal, classify

__all__ = [
    "BURST",
    "LEASE",
    "LINK_TOKEN",
    "LINK_WAIT",
    "POST_PACE_SECONDS",
    "RESPOND",
    "RESPONSE_URL_LIFETIME",
    "UNKNOWN_TRIES",
    "Deliverer",
    "DeliveryReport",
    "Pacer",
    "Refusal",
    "Result",
    "classify",
    "linked",
    "notify",
    "post",
    "reply",
    "respond",
    "retry_after",
    "step_completed",
    "update",
]
