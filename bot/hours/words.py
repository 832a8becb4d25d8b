"""The words of time off in threads and DMs: a person as a mention and a moment as Slack's
date token, so each reader sees it in their own zone (Slack's `<!date^…>`:
https://api.slack.com/reference/surfaces/formatting#date-formatting)."""

from __future__ import annotations

from datetime import UTC, datetime


def who(user: str | None) -> str:
    """`<@U123>`, or "_nobody_"."""
    return f"<@{user}>" if user else "_nobody_"


def moment(when: datetime) -> str:
    """A moment each reader sees in their own time zone, with a UTC fallback."""
    fallback = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{{date_short_pretty}} at {{time}}|{fallback}>"
