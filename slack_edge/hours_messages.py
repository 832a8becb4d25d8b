"""What `/churn hours` and `/churn away` answer (docs/hours.md), as mrkdwn; moments as
`<!date^…>` so each reader sees their own zone."""

from __future__ import annotations

from datetime import datetime

from bot.hours.models import AwayEntry, HoursView
from slack_edge.case_messages import time_token, who


def hours_text(view: HoursView) -> str:
    """ "Your working hours: 08:00-16:00 mon-thu (Pacific/Auckland), …" and time off."""
    whose = "your own" if view.own else "the policy's business hours"
    lines = [
        f":clock9: Your working hours: *{view.window}* in {view.tz} ({whose}). Nudges "
        "reach you only inside them. Change with `/churn hours 08:00-16:00 mon-thu`, "
        "back to the policy's with `/churn hours default`."
    ]
    lines += [away_line(off.starts_at, off.ends_at, off.cover) for off in view.away]
    return "\n".join(lines)


def away_line(start: datetime, end: datetime, cover: str | None) -> str:
    covered = f", covered by {who(cover)}" if cover else " (the save desk or a manager covers)"
    return f":palm_tree: Away from {time_token(start)} until {time_token(end)}{covered}."


def away_set_text(user: str, actor: str, off: AwayEntry) -> str:
    """The time off as set, and a warning when the cover is away during it too."""
    whose = "You are" if user == actor else f"{who(user)} is"
    text = (
        f"{away_line(off.starts_at, off.ends_at, off.cover)}\n{whose} off: new cases and "
        "nudges go to the cover meanwhile, and the cases are handed back on return. "
        "`/churn away off` ends it early."
    )
    also = off.cover_away
    if also is not None:
        text += (
            f"\n:warning: {who(off.cover)} is away too, from {time_token(also[0])} "
            f"until {time_token(also[1])}: meanwhile the save desk or a manager covers."
        )
    return text


def away_cancelled_text(count: int) -> str:
    if count == 0:
        return "There was no time off to end."
    return f":wave: Ended {count} time off; nudges reach you again in your working hours."
