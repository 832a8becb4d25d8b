"""Outside text crossing the Slack boundary: unescaped once on the way in, escaped once on
the way out, and fitted to Block Kit's limits after escaping.
The outbound half (`escape`, `mrkdwn`, `fit`) lives in `bot.common.text`, which services use too.

Slack sends message text with `&`, `<` and `>` escaped and with control sequences
(`<@U…>`, `<!here>`, `<https://…|label>`); it expects the same in every mrkdwn field it
receives ("Formatting text for app surfaces: escaping text", api.slack.com). Savedesk keeps
*plain* text in storage (what a person reads: `Baker & Sons`), so matching, pre-filled
inputs and stored reasons never see `&amp;`, and renders it for Slack in one place.

Order of operations on the way out: escape, neutralise broadcasts (a typed `<!here>`
becomes text), then cut to the limit, never inside an escape or a mention, marked "…".
"""

from __future__ import annotations

import re

from bot.common import text as bot_text
from bot.common.text import escape as escape  # re-exported: one copy, in bot
from bot.common.text import fit as fit
from bot.common.text import mrkdwn as mrkdwn
from bot.common.text import plain as plain

# Block Kit limits (api.slack.com/reference/block-kit), in characters.
SECTION_TEXT = bot_text.SECTION_TEXT
SECTION_FIELD = 2000
CONTEXT_TEXT = 2000
PLAIN_INPUT = 3000  # plain_text_input initial_value / max_length
OPTION_TEXT = 75
BUTTON_TEXT = 75
MESSAGE_TEXT = 4000  # chat.postMessage `text`: Slack truncates long ones; keep it readable
PRIVATE_METADATA = 3000

_CONTROL = re.compile(r"<([^<>]*)>")
_USER = re.compile(r"^@([UW][A-Z0-9]+)(?:\|.*)?$")
BROADCASTS = ("here", "channel", "everyone")


def unescape(text: str) -> str:
    """Slack's three escapes undone, once (`&amp;lt;` becomes `&lt;`, as typed)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def from_slack(text: str) -> str:
    """Message text as Slack sends it → the plain text a person reads.

    `&amp;` → `&`; `<@U1|ann>` → `<@U1>` (kept: shown as a mention again); `<#C1|sales>` →
    `#sales`; `<!here>` → `@here` (a word, never a ping again); `<!subteam^S1|@cs>` → `@cs`;
    `<!date^…|fallback>` → fallback; `<https://x|label>` → `label (https://x)`;
    `<mailto:a@b.c|a@b.c>` → `a@b.c`.
    """
    parts: list[str] = []
    last = 0
    for match in _CONTROL.finditer(text):
        parts.append(unescape(text[last : match.start()]))
        parts.append(_control(match.group(1)))
        last = match.end()
    parts.append(unescape(text[last:]))
    return "".join(parts)


def _control(inner: str) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    user = _USER.match(inner)
    if user:
        return f"<@{user.group(1)}>"
    if target.startswith("#"):
        return f"#{label}" if label else f"<{target}>"
    if target.startswith("!"):
        word = target[1:].split("^")[0]
        if word in BROADCASTS:
            return f"@{word}"
        return label or f"@{word}"
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    url = unescape(target)
    return f"{label} ({url})" if label and label != url else url
