"""The small mrkdwn helpers services use to compose thread lines, DMs and timeline text.

Storage keeps plain text (docs/ARCHITECTURE.md, *Packages and arrows*); these render it for
Slack's mrkdwn once: Slack's three escapes, people's mentions kept, broadcasts shown as
text, cut to Block Kit's limits after escaping. `slack_edge.text` re-exports them beside
the inbound half (`from_slack`), so there is one copy.
"""

from __future__ import annotations

import re

SECTION_TEXT = 3000  # a section's mrkdwn text (api.slack.com/reference/block-kit)
ELLIPSIS = "…"

_USER_ESCAPED = re.compile(r"&lt;@([UW][A-Z0-9]+)&gt;")


def escape(text: str) -> str:
    """Slack's three escapes, for text put into mrkdwn (or a message's `text`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(text: str, limit: int) -> str:
    """`text` (already escaped) in at most `limit` characters, cut with "…" and never inside
    an escape (`&amp;`) or a `<…>` token."""
    if len(text) <= limit:
        return text
    cut = limit - len(ELLIPSIS)
    amp = text.rfind("&", 0, cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    opening = text.rfind("<", 0, cut)
    if opening != -1 and ">" not in text[opening:cut]:
        cut = opening
    return text[:cut].rstrip() + ELLIPSIS


def mrkdwn(plain: str, limit: int = SECTION_TEXT) -> str:
    """Plain text for a mrkdwn field: escaped once, people's mentions kept, anything that
    would ping a channel shown as text, then cut to `limit` characters."""
    return fit(_USER_ESCAPED.sub(r"<@\1>", escape(plain)), limit)


def plain(text: str, limit: int) -> str:
    """Plain text for a plain_text object or an input's initial value: no escaping (Slack
    shows it as is), cut to `limit` characters with "…"."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def esc(text: str) -> str:
    """Plain text (names, ids, sources) shown in mrkdwn: Slack's three escapes, once."""
    return escape(text)


def quiet(text: str, limit: int = SECTION_TEXT) -> str:
    """Words people wrote (stated reasons, notes, summaries; stored plain) for mrkdwn:
    escaped once, mentions of people kept, anything that would ping a channel shown as
    text, then cut to `limit` characters with "…"."""
    return mrkdwn(text, limit)


def who(user: str | None) -> str:
    """`<@U123>`, or "_nobody_"."""
    return f"<@{user}>" if user else "_nobody_"
