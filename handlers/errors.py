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


UNAVAILABLE = (
    ":hourglass: Savedesk cannot reach its database right now, so nothing was saved. "
    "Please try again in a minute."
)


def handle_error(error: Exception, body: dict[str, Any], respond: Any) -> BoltResponse:
    """Log the traceback under a reference id and tell the user that id; a database that
    cannot be reached is said as such (one line logged, nothing was saved)."""
    ref = new_reference()
    if database_unavailable(error):
        log.warning("database unavailable, reference %s: %s", ref, str(error).splitlines()[0])
        text = UNAVAILABLE
    else:
        log.error("unhandled error, reference %s", ref, exc_info=error)
        text = apology(ref)
    if respond is not None and body.get("response_url"):
        try:
            respond(text=text, response_type="ephemeral", replace_original=False)
        except Exception:
            log.warning("could not send the apology for reference %s", ref, exc_info=True)
    return BoltResponse(status=200, body=text)
