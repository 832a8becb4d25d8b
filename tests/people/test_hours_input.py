"""`/churn hours` as people type it (docs/hours.md, *Working hours*): day names are whole
words or their beginnings, and an overnight window is refused with the reason."""

from __future__ import annotations

from datetime import time

import pytest

from bot.hours.commands import Hours, parse_hours
from bot.hours.window import parse_days


@pytest.mark.parametrize("text", ["monkey", "sunshine", "mon-thunder", "fridays", "wedding"])
def test_words_that_merely_begin_like_a_day_are_not_days(text: str) -> None:
    """Before, only the first three letters counted: "sunshine" was Sunday."""
    assert parse_days(text) is None


@pytest.mark.parametrize(
    ("text", "days"),
    [("tues-thurs", {1, 2, 3}), ("Monday,Wednesday", {0, 2}), ("fri-mon", {4, 5, 6, 0})],
)
def test_day_names_whole_or_shortened(text: str, days: set[int]) -> None:
    assert parse_days(text) == frozenset(days)


def test_an_overnight_window_says_why_it_is_refused() -> None:
    """Before, "22:00-06:00" got the same answer as a typo."""
    answer = parse_hours("22:00-06:00 mon-fri")
    assert isinstance(answer, str) and "end after it starts" in answer
    assert "window like" in str(parse_hours("22-06"))
    assert parse_hours("08:00-16:00 mon-thu") == Hours((time(8), time(16)), frozenset(range(4)))
