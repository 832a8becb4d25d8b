"""Working hours and time off on App Home (docs/hours.md): the person's window in their
time zone, their time off not yet over with its cover, and the buttons and modals to change
them. Block Kit built with slack_sdk's models, so Slack's limits are checked here."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DatePickerElement,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    SectionBlock,
    TimePickerElement,
    UserSelectElement,
)

from bot.hours.models import AwayEntry, HoursView
from slack_edge import inputs
from slack_edge.case_messages import time_token
from slack_edge.modals import modal

MAX_SHOWN = 5
"""Time off listed on App Home (soonest first); the rest shows once these are over."""
HOURS_VIEW, AWAY_VIEW = "hours_edit_view", "away_edit_view"
TITLE_HOURS, TITLE_AWAY = "Working hours", "Time off"
DAY_LABELS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class HoursAction(StrEnum):
    """The App Home buttons of this section."""

    EDIT_HOURS = "hours_edit"
    RESET_HOURS = "hours_reset"
    ADD_AWAY = "away_add"
    END_AWAY = "away_end"


def hours_blocks(view: HoursView) -> list[Block]:
    """The section: a header, the window with "Change", each time off with "End", and
    "Add time off" (plus "Use the policy's hours" when the window is their own)."""
    whose = "your own" if view.own else "the policy's business hours"
    window = SectionBlock(
        text=MarkdownTextObject(
            text=f":clock9: *{view.window}* in {view.tz} ({whose}). Nudges reach you only "
            "inside your working hours; new cases go to your cover while you are away."
        ),
        accessory=ButtonElement(text="Change hours", action_id=HoursAction.EDIT_HOURS.value),
    )
    buttons = [ButtonElement(text="Add time off", action_id=HoursAction.ADD_AWAY.value)]
    if view.own:
        reset = ButtonElement(
            text="Use the policy's hours", action_id=HoursAction.RESET_HOURS.value
        )
        buttons.append(reset)
    offs = [_away_block(off) for off in view.away[:MAX_SHOWN]]
    if not offs:
        offs = [ContextBlock(elements=[MarkdownTextObject(text="No time off planned.")])]
    return [
        HeaderBlock(text="Your working hours and time off"),
        window,
        *offs,
        ActionsBlock(block_id="hours_buttons", elements=buttons),
    ]


def _away_block(off: AwayEntry) -> SectionBlock:
    cover = f"covered by <@{off.cover}>" if off.cover else "the save desk or a manager covers"
    status = "Away now" if off.started else "Away"
    since, until = time_token(off.starts_at), time_token(off.ends_at)
    line = f":palm_tree: {status} from {since} until {until}, {cover}."
    button = ButtonElement(
        text="End now" if off.started else "Cancel",
        action_id=HoursAction.END_AWAY.value,
        value=str(off.id),
        style="danger",
    )
    return SectionBlock(text=MarkdownTextObject(text=line), accessory=button)


def hours_modal(view: HoursView) -> dict:
    """Start, end (Slack timepickers, in the person's Slack time zone) and working days."""
    options = [Option(text=label, value=str(n)) for n, label in enumerate(DAY_LABELS)]
    chosen = [options[n] for n in sorted(view.days)] or None
    blocks = [
        inputs.field("start", "Working day starts", _clock("start", view.opens, "09:00")),
        inputs.field("end", "Working day ends", _clock("end", view.closes, "17:00")),
        inputs.field(
            "days",
            "Working days",
            CheckboxesElement(action_id="days", options=options, initial_options=chosen),
        ),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Times are in your Slack time zone, {view.tz}.")]
        ),
    ]
    return modal(HOURS_VIEW, TITLE_HOURS, "Save", blocks)


def away_modal(view: HoursView) -> dict:
    """From and to (Slack datepickers, whole days in the person's time zone) and a cover."""
    today = view.today.isoformat() if view.today else None
    blocks = [
        inputs.field("first", "First day away", _day("first", today)),
        inputs.field("last", "Last day away", _day("last", today)),
        inputs.field(
            "cover",
            "Who covers for you",
            UserSelectElement(action_id="cover", placeholder="Pick a person"),
            optional=True,
            hint="Left empty: the save desk, then a manager, take your new cases.",
        ),
    ]
    return modal(AWAY_VIEW, TITLE_AWAY, "Save", blocks)


def _clock(name: str, value: Any, default: str) -> TimePickerElement:
    initial = f"{value:%H:%M}" if value is not None else default
    return TimePickerElement(action_id=name, initial_time=initial)


def _day(name: str, initial: str | None) -> DatePickerElement:
    return DatePickerElement(action_id=name, initial_date=initial)


def read_hours_state(values: dict[str, Any]) -> tuple[str | None, str | None, list[str]]:
    """A submitted hours modal's start, end ("HH:MM") and checked days (weekday numbers)."""
    days = _state(values, "days").get("selected_options") or []
    start = _state(values, "start").get("selected_time")
    end = _state(values, "end").get("selected_time")
    return start, end, [str(o.get("value", "")) for o in days if isinstance(o, dict)]


def read_away_state(values: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """A submitted time-off modal's first and last day (YYYY-MM-DD) and cover (user ID)."""
    first = _state(values, "first").get("selected_date")
    last = _state(values, "last").get("selected_date")
    return first, last, _state(values, "cover").get("selected_user")


def _state(values: dict[str, Any], name: str) -> dict[str, Any]:
    state = (values.get(name) or {}).get(name)
    return state if isinstance(state, dict) else {}
