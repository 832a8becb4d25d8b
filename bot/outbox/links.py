"""The `{thread_link}` token: a message elsewhere (a DM, a confirmation, a line in another
channel) that points at a thread root gets the root's permalink once Slack has posted it.

When the root is late (paced behind other posts), waits (its channel refuses it) or failed
for good, the message goes without the link instead, with a line saying why: nobody waits
for a thread to learn that their case exists (docs/slack.md, *When Slack says no*).
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot.outbox.refusals import why

LINK_TOKEN = "{thread_link}"
_MARKUP = re.compile(r"<\{thread_link\}\|([^>]*)>")
MAX_BLOCKS = 50  # per message (https://api.slack.com/reference/block-kit/blocks)


def with_link(args: dict[str, Any], link: str) -> dict[str, Any]:
    """`args` with every `{thread_link}` replaced by `link`."""
    return json.loads(json.dumps(args).replace(LINK_TOKEN, link.replace('"', "")))


def without_link(args: dict[str, Any], note: str) -> dict[str, Any]:
    """`args` with links to the thread made plain words (`<{thread_link}|label>` → label),
    link buttons removed, and `note` added as a last line (and block)."""
    plain = json.loads(_MARKUP.sub(lambda m: m.group(1), json.dumps(args)))
    plain = _drop_link_elements(plain)
    plain["text"] = f"{plain.get('text') or ''}\n{note}".strip()
    blocks = plain.get("blocks")
    if blocks and len(blocks) < MAX_BLOCKS:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
    return plain


def _drop_link_elements(value: Any) -> Any:
    """Buttons whose url is the token go; an actions block left empty goes too; any other
    bare token becomes empty."""
    if isinstance(value, dict):
        return {k: _drop_link_elements(v) for k, v in value.items()}
    if isinstance(value, list):
        kept = [
            _drop_link_elements(v)
            for v in value
            if not (isinstance(v, dict) and v.get("url") == LINK_TOKEN)
        ]
        return [v for v in kept if not _empty_actions(v)]
    if isinstance(value, str):
        return value.replace(LINK_TOKEN, "")
    return value


def _empty_actions(value: Any) -> bool:
    return isinstance(value, dict) and value.get("type") == "actions" and not value.get("elements")


def place(channel: str) -> str:
    """A channel as people read it: a mention for channels, words for a DM."""
    return f"<#{channel}>" if channel[:1] in ("C", "G") else "a direct message"


def on_its_way(channel: str) -> str:
    """The root is queued behind other posts (Slack takes about one a second per channel)."""
    return (
        f"_The thread in {place(channel)} is on its way (Slack takes about one message a "
        "second per channel); the link follows when it is posted._"
    )


def unlinked(channel: str) -> str:
    """The root is posted, but Slack would not give its permalink (chat.getPermalink
    refused, or no answer)."""
    return f"_The thread is in {place(channel)}; Slack did not give its link just now._"


def waiting(channel: str, error: str) -> str:
    """The root's channel refuses messages for now."""
    return (
        f"_The thread could not be posted in {place(channel)} yet: {why(error)}. It is posted "
        "as soon as the channel takes messages again, and the link follows then._"
    )


def failed(channel: str, error: str) -> str:
    """The root failed for good."""
    return (
        f"_The thread could not be posted in {place(channel)}: Slack answered `{error}`. "
        "An admin sees it in `python app.py check`._"
    )
