"""Days of time off as people type them: an ISO date, `today`, `tomorrow` or a weekday
name, read in the person's own time zone (docs/hours.md, *Time off and cover*)."""

from __future__ import annotations

from datetime import date, timedelta

from bot.hours.window import DAY_NAMES

RELATIVE = ("today", "tomorrow")
DayWord = date | str
"""A date, or a word (`today`, `tomorrow`, `mon`…`sun`) resolved once the person's time
zone is known."""


def read_day(text: str) -> DayWord | None:
    """ "2026-12-21" → that date; "today", "tomorrow", "friday"/"fri" → the word, lower-case
    and weekdays shortened to three letters; None when it is none of these."""
    word = text.strip().lower()
    if word in RELATIVE:
        return word
    if len(word) >= 3 and _FULL.get(word[:3], "").startswith(word):
        return word[:3]
    try:
        return date.fromisoformat(word)
    except ValueError:
        return None


def resolve_day(word: DayWord, today: date, on_or_after: date | None = None) -> date:
    """The date `word` names, seen on `today` (the person's local date): a weekday is the
    next one on or after `on_or_after` (default `today`), so `/churn away fri mon` on a
    Wednesday is this Friday to the Monday after it. Raises ValueError for an unknown word."""
    if isinstance(word, date):
        return word
    if word == "today":
        return today
    if word == "tomorrow":
        return today + timedelta(days=1)
    if word not in DAY_NAMES:
        raise ValueError(f"not a day: {word!r}")
    start = max(today, on_or_after or today)
    return start + timedelta(days=(DAY_NAMES.index(word) - start.weekday()) % 7)


_FULL = dict(
    zip(
        DAY_NAMES,
        ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        strict=True,
    )
)
