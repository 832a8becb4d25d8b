"""views.*: modals and App Home tabs, with trigger ids that expire as Slack's do.

A trigger_id is good for one views.open/views.push, within 3 seconds of the interaction
that carried it (https://api.slack.com/interactivity/handling#modal_responses). The
stand-in checks the triggers it issued itself; triggers it never issued are accepted
unless ``strict_triggers`` is on (tests may make up their own).
"""

from __future__ import annotations

import itertools
import threading
import uuid
from typing import TYPE_CHECKING, Any

from demo.standin.records import APP_ID, BOT_ID, TEAM_ID, Trigger
from demo.standin.validation import Args, Reply, SlackError, check_view, require

TRIGGER_SECONDS = 3.0


def _input_elements(view: dict) -> set[tuple[str, str, str]]:
    """(block_id, action_id, type) of every input block's element in ``view``."""
    return {
        (str(b.get("block_id")), str(b["element"].get("action_id")), str(b["element"].get("type")))
        for b in view.get("blocks") or []
        if b.get("type") == "input" and isinstance(b.get("element"), dict)
    }


def kept_inputs(old: dict | None, new: dict) -> dict:
    """What the person entered in ``old`` that survives its replacement by ``new``: Slack
    keeps an input's value across views.update (and ``response_action: update``) when its
    block_id and action_id are unchanged (docs/demo.md, On the page: modals)."""
    if not old:
        return {}
    still = _input_elements(new)
    kept: dict[str, dict] = {}
    for block_id, actions in (old.get("state") or {}).get("values", {}).items():
        for action_id, value in actions.items():
            if (block_id, action_id, str(value.get("type"))) in still:
                kept.setdefault(block_id, {})[action_id] = value
    return kept


class ViewMethods:
    """Mixin of SlackStandin: views.open/push/update/publish and each person's modal stack."""

    _lock: threading.RLock
    _ids: itertools.count
    _views: dict[str, dict]
    _home_views: dict[str, str]
    _triggers: dict[str, Trigger]
    _modal_stacks: dict[str, list[str]]
    strict_triggers: bool

    if TYPE_CHECKING:

        def _next_id(self, prefix: str) -> str: ...
        def _now(self) -> float: ...
        def _bump(self) -> None: ...

    # -- triggers

    def new_trigger_id(self, user: str | None = None) -> str:
        """A trigger_id as Slack puts in a command or interaction by ``user``."""
        trigger_id = f"{next(self._ids)}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"
        with self._lock:
            self._triggers[trigger_id] = Trigger(trigger_id, user, self._now())
        return trigger_id

    def _use_trigger(self, trigger_id: str) -> str | None:
        """The user a trigger belongs to; refuses expired, reused or (strict) unknown ones."""
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            if self.strict_triggers:
                raise SlackError("invalid_trigger_id")
            return None
        if trigger.used:
            raise SlackError("exchanged_trigger_id")
        if self._now() - trigger.issued > TRIGGER_SECONDS:
            raise SlackError("expired_trigger_id")
        trigger.used = True
        return trigger.user

    # -- views

    def _store_view(self, view: dict, view_id: str | None = None, **extra: Any) -> dict:
        old = self._views.get(view_id) if view_id else None
        view_id = view_id or self._next_id("V")
        stored = {
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "state": {"values": kept_inputs(old, view)},
            "clear_on_close": False,
            "notify_on_close": False,
            **view,
            "id": view_id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "hash": f"1700000000.{next(self._ids):08d}",
            "root_view_id": (old or {}).get("root_view_id", view_id),
            "previous_view_id": (old or {}).get("previous_view_id"),
            **extra,
        }
        external_id = stored["external_id"]
        clash = self._view_by_external_id(external_id) if external_id else None
        if clash and clash["id"] != view_id:
            raise SlackError("duplicate_external_id")
        self._views[view_id] = stored
        self._bump()
        return stored

    def _view_by_external_id(self, external_id: str) -> dict | None:
        return next((v for v in self._views.values() if v["external_id"] == external_id), None)

    def _views_open(self, args: Args) -> Reply:
        require(args, "trigger_id", "view")
        view = check_view(args["view"])
        user = self._use_trigger(str(args["trigger_id"]))
        stored = self._store_view(view)
        if user:
            self._modal_stacks[user] = [stored["id"]]
        return {"view": dict(stored)}

    def _views_push(self, args: Args) -> Reply:
        require(args, "trigger_id", "view")
        view = check_view(args["view"])
        user = self._use_trigger(str(args["trigger_id"]))
        stack = self._modal_stacks.get(user or "") or []
        if user and len(stack) >= 3:
            raise SlackError("push_limit_reached")  # Slack allows a stack of 3 views
        stored = self._store_view(view, previous_view_id=stack[-1] if stack else None)
        if user:
            self._modal_stacks[user] = [*stack, stored["id"]]
        return {"view": dict(stored)}

    def _views_update(self, args: Args) -> Reply:
        require(args, "view")
        if not args.get("view_id") and not args.get("external_id"):
            raise SlackError(
                "invalid_arguments", ["[ERROR] either view_id or external_id is required"]
            )
        view = check_view(args["view"])
        current = (
            self._views.get(str(args["view_id"]))
            if args.get("view_id")
            else self._view_by_external_id(str(args["external_id"]))
        )
        if current is None:
            raise SlackError("not_found")
        if args.get("hash") and args["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        return {"view": dict(self._store_view(view, current["id"]))}

    def _views_publish(self, args: Args) -> Reply:
        require(args, "user_id", "view")
        view = check_view(args["view"])
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", ["[ERROR] views.publish needs a home view"])
        user_id = str(args["user_id"])
        current_id = self._home_views.get(user_id)
        if current_id and args.get("hash") and args["hash"] != self._views[current_id]["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, current_id)
        self._home_views[user_id] = stored["id"]
        return {"view": dict(stored)}

    # -- what a person's Slack client does with its modals

    def modal_stack(self, user: str) -> list[dict]:
        """The modals open for ``user``, bottom first (at most 3, as in Slack)."""
        with self._lock:
            return [dict(self._views[v]) for v in self._modal_stacks.get(user, [])]

    def answer_submission(self, user: str, view_id: str, answer: dict | None) -> None:
        """Apply a view_submission's ``response_action`` as Slack does: ``errors`` keep the
        view open with messages under the fields, ``update``/``push`` show a new view,
        ``clear`` closes every view, and no action closes the submitted one."""
        with self._lock:
            stack = self._modal_stacks.get(user, [])
            action = (answer or {}).get("response_action")
            if action == "errors":
                self._views[view_id]["errors"] = dict(answer.get("errors") or {})  # type: ignore[union-attr]
                self._bump()
            elif action == "update":
                self._store_view(check_view(answer["view"]), view_id, errors={})  # type: ignore[index]
            elif action == "push":
                pushed = self._store_view(check_view(answer["view"]), previous_view_id=view_id)  # type: ignore[index]
                self._modal_stacks[user] = [*stack, pushed["id"]]
            elif action == "clear":
                self._modal_stacks[user] = []
            else:
                self._modal_stacks[user] = [v for v in stack if v != view_id]
            self._bump()

    def close_view(self, user: str, view_id: str) -> None:
        """The person pressed Cancel or close: the view leaves their stack."""
        with self._lock:
            stack = self._modal_stacks.get(user, [])
            self._modal_stacks[user] = [v for v in stack if v != view_id]
            self._bump()

    def set_view_state(self, view_id: str, values: dict) -> None:
        """What the person has typed or picked so far (Slack keeps it in ``state``)."""
        with self._lock:
            if view_id in self._views:
                self._views[view_id]["state"] = {"values": values}
