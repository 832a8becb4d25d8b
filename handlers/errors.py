"""The global error handler: an apology with a reference id for the user, a traceback in
the log under the same id, never a traceback in Slack."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from slack_bolt import BoltResponse

from bot.runtime.health import database_unavailable

log = logging.getLogger("savedesk.errors")


def new_reference() -> str:
    return uuid.uuid4().hex[:8]


def apology(ref: str) -> str:
    return f":warning: Sorry, something went wrong on our side. (reference `{ref}`)"


EVENT_CALLBACK = "event_callback"
RETRY_AFTER = "5"  # seconds, for a sender that reads it

UNAVAILABLE = (
    ":hourglass: Savedesk cannot reach its database right now, so nothing was saved. "
    "Please try again in a minute."
)


def handle_error(
    error: Exception,
    body: dict[str, Any],
    respond: Any,
    client: Any = None,
    response: BoltResponse | None = None,
) -> BoltResponse | None:
    """Log the traceback under a reference id and tell the person who acted that id; a
    database that cannot be reached is said as such (one line logged, nothing was saved).

    An Events API event the database could not take (in OAuth mode, looking up the
    installation) is answered 503, so that Slack sends it again (Slack docs: Events API,
    *Retries*); a 200 would lose it. Once the acknowledgement has gone out (`response` is
    None), the person is told and nothing more is answered."""
    ref = new_reference()
    unavailable = database_unavailable(error)
    if unavailable:
        log.warning("database unavailable, reference %s: %s", ref, str(error).splitlines()[0])
        text = UNAVAILABLE
    else:
        log.error("unhandled error, reference %s", ref, exc_info=error)
        text = apology(ref)
    if unavailable and body.get("type") == EVENT_CALLBACK and response is not None:
        return BoltResponse(status=503, body="", headers={"Retry-After": RETRY_AFTER})
    try:
        tell_the_person(body, respond, client, text)
    except Exception:
        log.warning("could not send the apology for reference %s", ref, exc_info=True)
    if response is None:
        return None  # after the acknowledgement: Bolt has nothing left to answer
    return BoltResponse(status=200, body=text)


def tell_the_person(body: dict[str, Any], respond: Any, client: Any, text: str) -> None:
    """Only the person who clicked, typed or submitted sees `text`: through the request's
    response_url (ephemeral), else ephemerally in the channel they acted in, else (App Home,
    a modal) in their conversation with the app. An event nobody acted on is not answered."""
    if respond is not None and body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
        return
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    if client is None or not user:
        return
    channel = (body.get("channel") or {}).get("id") or body.get("channel_id")
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        client.chat_postMessage(channel=user, text=text)
