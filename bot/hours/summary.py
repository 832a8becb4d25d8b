"""The one DM someone gets when their time off ends (docs/hours.md, *Time off and cover*):
the cases handed back and how many updates each of their cases had meanwhile."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.common.formatting import time_token


def welcome_back(since: datetime, handed: list[int], updated: list[int]) -> str:
    """`handed`: ids of the cases handed back; `updated`: a case id per update while away."""
    lines = [f":wave: Welcome back. While you were away (since {time_token(since)}):"]
    if handed:
        numbers = ", ".join(f"#{n}" for n in handed)
        lines.append(f"• {len(handed)} case(s) opened for you were handed back: {numbers}.")
    for case_id, count in sorted(Counter(updated).items()):
        lines.append(f"• case #{case_id}: {count} update(s) in its thread.")
    if len(lines) == 1:
        lines.append("• nothing happened on your cases.")
    return "\n".join(lines)
