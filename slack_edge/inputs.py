"""One builder per kind of modal field, so every modal says only what differs: the name
(block id and action id are the same, which `field_value` relies on), the label, and the
element's options. Built with slack_sdk's Block Kit models (limits checked locally)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from slack_sdk.models.blocks import (
    DatePickerElement,
    DateTimePickerElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    RadioButtonsElement,
    StaticSelectElement,
    UserSelectElement,
)


def field(
    name: str, label: str, element: Any, optional: bool = False, hint: str | None = None
) -> InputBlock:
    """An input block named `name`, around an element whose action id is `name` too."""
    return InputBlock(block_id=name, label=label, element=element, optional=optional, hint=hint)


def text(
    name: str, label: str, max_length: int, multiline: bool = True, **extra: Any
) -> InputBlock:
    """Free text (`plain_text_input`); `extra` takes optional, hint, initial_value,
    placeholder."""
    optional, hint = extra.pop("optional", False), extra.pop("hint", None)
    element = PlainTextInputElement(
        action_id=name, multiline=multiline or None, max_length=max_length, **extra
    )
    return field(name, label, element, optional, hint)


def number(
    name: str, label: str, optional: bool = False, hint: str | None = None, **extra: Any
) -> InputBlock:
    """A decimal number (`number_input`); `extra` takes min_value."""
    element = NumberInputElement(action_id=name, is_decimal_allowed=True, **extra)
    return field(name, label, element, optional, hint)


def choices(items: Mapping[str, str]) -> list[Option]:
    """Options from `{value: label}`, in order."""
    return [Option(text=label, value=value) for value, label in items.items()]


def choice(
    name: str, label: str, items: Mapping[str, str], initial: str | None = None, radio: bool = False
) -> InputBlock:
    """One of `items` (`{value: label}`): radio buttons or a static select, `initial` picked."""
    options = choices(items)
    first = next((o for o in options if o.value == initial), None)
    kind = RadioButtonsElement if radio else StaticSelectElement
    return field(name, label, kind(action_id=name, options=options, initial_option=first))


def day(name: str, label: str, optional: bool = True) -> InputBlock:
    """A calendar date (`datepicker`)."""
    return field(name, label, DatePickerElement(action_id=name), optional)


def moment(name: str, label: str) -> InputBlock:
    """A date and time (`datetimepicker`), sent back as Unix seconds."""
    return field(name, label, DateTimePickerElement(action_id=name))


def person(name: str, label: str, placeholder: str, initial: str | None) -> InputBlock:
    """One workspace member (`users_select`)."""
    element = UserSelectElement(action_id=name, placeholder=placeholder, initial_user=initial)
    return field(name, label, element)
