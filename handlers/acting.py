"""What every button and modal listener needs, said once: ack first (Slack's 3 s), who acted,
the button's decoded value, and a `Refused` turned into the answer Slack shows.

A button refused answers the clicker ephemerally (nothing changed); a modal refused answers
with inline `response_action: errors` on the field named (Slack docs: view_submission).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient

from bot.cases.models import Refused


@dataclass(frozen=True)
class Press:
    """A button press: who pressed it, the id its value carries, and how to answer."""

    user: str
    value: int
    body: dict[str, Any]
    respond: Respond
    client: WebClient


def refuse(respond: Respond, body: dict[str, Any], client: WebClient, why: str) -> None:
    """Tell only the clicker why nothing happened."""
    if body.get("response_url"):
        respond(text=f":no_entry: {why}", response_type="ephemeral", replace_original=False)
        return
    channel = (body.get("channel") or {}).get("id")
    if channel:
        client.chat_postEphemeral(
            channel=channel, user=body["user"]["id"], text=f":no_entry: {why}"
        )


def button(act: Callable[[Press], None]) -> Callable[..., None]:
    """A Bolt action listener: ack, decode the press, run `act`, answer a Refused."""

    def listener(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()
        press = Press(body["user"]["id"], int(body["actions"][0]["value"]), body, respond, client)
        try:
            act(press)
        except Refused as why:
            refuse(respond, body, client, str(why))

    return listener


def submission(
    act: Callable[[str, dict[str, Any]], dict[str, str] | None], refused_field: str
) -> Callable[..., None]:
    """A Bolt view listener: `act(user, view)` returns field errors (or None when done); a
    Refused becomes an inline error on `refused_field`."""

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            errors = act(body["user"]["id"], view)
        except Refused as why:
            ack(response_action="errors", errors={refused_field: str(why)})
            return
        if errors:
            ack(response_action="errors", errors=errors)
            return
        ack()

    return listener
