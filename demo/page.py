"""The page's server: the Slack-like client (static files) and the small JSON API it
calls. Each API call is one intent of the person acting ("type this", "press that");
`demo.client` turns it into the request Slack would send to Savedesk."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, jsonify, redirect, request, send_from_directory

from demo.client import SlackRefused
from demo.standin import SlackError, dm_channel
from demo.story import progress
from demo.workspace import PEOPLE, TIMEZONE

START_USER, START_CHANNEL, APP_PLACE = "U0CSM", "C0CASES", "app"

if TYPE_CHECKING:
    from demo.runtime import Demo

log = logging.getLogger("savedesk.demo")
STATIC = Path(__file__).parent / "static"


def _user() -> str:
    sent = request.get_json(silent=True)
    named = sent.get("user") if isinstance(sent, dict) else None
    user = str(named or request.args.get("user") or "")
    if not any(p.user_id == user for p in PEOPLE):
        raise SlackRefused(f"unknown person {user!r}")
    return user


FIELD_TYPES: dict[str, type] = {"action": dict, "values": dict}
"""Fields of a page call that are JSON objects; every other field is a string."""


class _Body(dict[str, Any]):
    """A page call's JSON body whose fields are checked as they are read: a field of the
    wrong type is a ValueError naming it (a 400), never a traceback deep in the stand-in."""

    def __getitem__(self, name: str) -> Any:
        return _checked(name, super().__getitem__(name))

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        value = super().get(name)  # null, as the page sends an absent thread_ts: the default
        return default if value is None else _checked(name, value)


def _checked(name: str, value: Any) -> Any:
    wanted = FIELD_TYPES.get(name, str)
    if not isinstance(value, wanted):
        kind = "an object" if wanted is dict else "a string"
        raise ValueError(f"field {name!r} must be {kind}")
    return value


def _body() -> _Body:
    sent = request.get_json(silent=True)
    if sent is not None and not isinstance(sent, dict):
        raise ValueError("the body must be a JSON object")
    return _Body(sent or {})


def state(demo: Demo, user: str) -> dict[str, Any]:
    """Everything the page shows for ``user``: channels, their DM with the app, messages,
    their ephemerals, open modals, Home tab, the clock and the story."""
    standin = demo.standin
    own_dm = dm_channel(user)
    messages = [
        m for m in standin.messages() if m["channel"].startswith("C") or m["channel"] == own_dm
    ]
    calls = [{"method": c.method, **c.args} for c in standin.calls()]
    return {
        "version": standin.version + demo.clock_moves,
        "user": user,
        "timezone": TIMEZONE,
        "people": [
            {"id": p.user_id, "name": p.name, "title": p.title, "switcher": p.switcher}
            for p in PEOPLE
        ],
        "channels": standin.channels(),
        "dm": own_dm,
        "messages": messages,
        "ephemerals": standin.ephemerals(user),
        "modals": standin.modal_stack(user),
        "home": standin.home_view(user),
        "now": demo.clock.now().isoformat(),
        "offset_seconds": demo.clock.offset.total_seconds(),
        "story": progress(demo.client.inbound(), calls),
        "notes": demo.notes,
    }


def start_place(demo: Demo, user: str | None, channel: str | None) -> tuple[str, str] | None:
    """Where an address that names someone not in "Acting as", or a channel the workspace
    does not have, opens instead (the CSM, #cases), keeping the part that is right; None
    when the address is fine as it is. An old or mistyped link left the page blank, every
    poll refused with "unknown person"; Slack opens its default view for such a link."""
    people = {p.user_id for p in PEOPLE if p.switcher}
    places = {c["id"] for c in demo.standin.channels() if not c.get("is_im")} | {APP_PLACE}
    good_user = user if user in people else START_USER
    good_channel = channel if channel in places else START_CHANNEL
    if (user is None or user == good_user) and (channel is None or channel == good_channel):
        return None
    return good_user, good_channel


def index_page(demo: Demo) -> Response:
    """The page, or a redirect to the place an unusable address opens instead."""
    fixed = start_place(demo, request.args.get("user"), request.args.get("channel"))
    if fixed is not None:
        return redirect(f"/?user={fixed[0]}&channel={fixed[1]}", code=302)
    return send_from_directory(STATIC, "index.html")


def create_page_app(demo: Demo) -> Flask:
    """The Flask app serving the page; every POST is one person's intent."""
    web = Flask("savedesk-demo", static_folder=None)
    client = demo.client

    @web.get("/")
    def index() -> Response:
        return index_page(demo)

    @web.get("/favicon.ico")
    def favicon() -> tuple[str, int]:
        return "", 204

    @web.get("/static/<path:name>")
    def static_file(name: str) -> Response:
        return send_from_directory(STATIC, name)

    @web.get("/api/state")
    def get_state() -> tuple[Response, int]:
        try:
            user = _user()
        except SlackRefused as refused:  # a probe or an old link: an answer, not a traceback
            return jsonify(error=str(refused)), 400
        return jsonify(state(demo, user)), 200

    intents = {
        "command": lambda u, b: client.command(u, b["channel"], b["text"]),
        "message": lambda u, b: client.message(u, b["channel"], b["text"], b.get("thread_ts")),
        "action": lambda u, b: client.message_action(
            u, b["channel"], b["ts"], b["action"], b.get("thread_ts")
        ),
        "view_action": lambda u, b: client.view_action(u, b["view_id"], b["action"], b["values"]),
        "submit": lambda u, b: client.submit(u, b["view_id"], b["values"]),
        "close": lambda u, b: client.close(u, b["view_id"]),
        "shortcut": lambda u, b: client.shortcut(u, b["channel"], b["ts"]),
        "home": lambda u, b: client.open_home(u),
        "suggest": lambda u, b: {
            "options": client.suggest(
                u, b["view_id"], b["action_id"], b.get("block_id", ""), b.get("value", "")
            )
        },
        "clock": lambda u, b: {"now": demo.advance(b["step"]).isoformat()},
    }

    @web.post("/api/<intent>")
    def act(intent: str) -> tuple[Response, int]:
        handler = intents.get(intent)
        if handler is None:
            return jsonify(error=f"unknown intent {intent!r}"), 404
        try:
            result = handler(_user(), _body())
        except KeyError as missing:
            return jsonify(error=f"missing field {missing}"), 400
        except (SlackRefused, SlackError, ValueError) as refused:
            return jsonify(error=str(refused)), 400
        return jsonify(result or {"ok": True}), 200

    return web
