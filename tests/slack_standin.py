"""A local stand-in for the Slack Web API, served over real HTTP on 127.0.0.1.

The bot talks to it through an ordinary ``slack_sdk.WebClient(base_url=standin.api_url)``,
so tests exercise the same serialisation, headers and error handling as production.
It records every call, checks required arguments and Block Kit the way Slack does, and
can be scripted to fail (429, 5xx, Slack error codes) or to go down entirely.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
import uuid
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

TEAM_ID = "T0TEST"
TEAM_NAME = "Savedesk Test"
TEAM_DOMAIN = "savedesk-test"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SAVEDESK"
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT_LENGTH = 40_000
FIRST_TS_MICROS = 1_700_000_000_000_000
TOKEN_PREFIXES = ("xoxb-", "xapp-")
# Arguments that WebClient (or the bot) may send as JSON strings inside form bodies.
JSON_ARGS = frozenset({"blocks", "attachments", "view", "files", "metadata", "unfurls"})
DEFAULT_FAULT_ERRORS = {429: "ratelimited", 500: "internal_error", 503: "service_unavailable"}

Args = dict[str, Any]
Reply = dict[str, Any]


@dataclass
class Call:
    """One Web API request as the stand-in received it (after decoding)."""

    method: str
    args: Args
    headers: dict[str, str]
    fault: str | None = None  # e.g. "http 429", "channel_not_found", "down"; None if served
    token: str | None = None


@dataclass
class Fault:
    """A scripted failure for the next call of one method."""

    status: int = 200
    error: str | None = None
    retry_after: int | None = None

    def describe(self) -> str:
        return f"http {self.status}" if self.status != 200 else str(self.error)


@dataclass
class UploadedFile:
    """A file going through files.getUploadURLExternal -> upload -> completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    content: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    completed: bool = False


class SlackError(Exception):
    """Raised by method handlers; becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: Iterable[str] = ()) -> None:
        super().__init__(error)
        self.error = error
        self.messages = list(messages)

    def body(self) -> Reply:
        body: Reply = {"ok": False, "error": self.error}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


@dataclass
class _HttpReply:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of_json(cls, status: int, data: Reply, headers: dict[str, str] | None = None) -> _HttpReply:
        return cls(status, json.dumps(data).encode(), headers=headers or {})

    @classmethod
    def of_text(cls, status: int, text: str) -> _HttpReply:
        return cls(status, text.encode(), content_type="text/plain; charset=utf-8")


# ---------------------------------------------------------------------------- validation


def _require(args: Args, *names: str) -> None:
    missing = [name for name in names if args.get(name) in (None, "", [])]
    if missing:
        raise SlackError(
            "invalid_arguments", [f"[ERROR] missing required field: {name}" for name in missing]
        )


def _block_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "each block must be an object"
    try:
        block = Block.parse(raw)
        if block is None:
            return f"unsupported block type: {raw.get('type')!r}"
        block.validate_json()
    except Exception as exc:  # any parse/validation failure means Slack would refuse it
        return f"{type(exc).__name__}: {exc}"
    return None


def block_problems(blocks: Any, limit: int) -> list[str]:
    """Why Slack would refuse these blocks (empty list if it would accept them)."""
    if not isinstance(blocks, list):
        return ["blocks must be an array"]
    if len(blocks) > limit:
        return [f"no more than {limit} items allowed [json-pointer:/blocks]"]
    problems, seen_ids = [], set()
    for index, raw in enumerate(blocks):
        problem = _block_problem(raw)
        block_id = raw.get("block_id") if isinstance(raw, dict) else None
        if problem is None and block_id is not None and block_id in seen_ids:
            problem = f"duplicate block_id {block_id!r}"
        seen_ids.add(block_id)
        if problem:
            problems.append(f"[ERROR] {problem} [json-pointer:/blocks/{index}]")
    return problems


def view_problems(view: Any) -> list[str]:
    """Why Slack would refuse this view (empty list if it would accept it)."""
    if not isinstance(view, dict):
        return ["[ERROR] view must be an object"]
    problems = []
    try:
        View(**view).validate_json()
    except Exception as exc:
        problems.append(f"[ERROR] {exc}")
    if view.get("type") == "modal" and not view.get("title"):
        problems.append("[ERROR] missing required field: title [json-pointer:/view]")
    blocks = view.get("blocks", [])
    problems += block_problems(blocks, MAX_VIEW_BLOCKS) if isinstance(blocks, list) else []
    return problems


def _check_blocks(args: Args) -> None:
    if "blocks" in args and args["blocks"] is not None:
        problems = block_problems(args["blocks"], MAX_MESSAGE_BLOCKS)
        if problems:
            raise SlackError("invalid_blocks", problems)


def _check_view(view: Any) -> dict:
    problems = view_problems(view)
    if problems:
        raise SlackError("invalid_arguments", problems)
    return view


def _check_message_content(args: Args) -> None:
    if not any(args.get(name) for name in ("text", "blocks", "attachments")):
        raise SlackError("no_text")
    if len(str(args.get("text") or "")) > MAX_TEXT_LENGTH:
        raise SlackError("msg_too_long")
    _check_blocks(args)


def _check_token(token: str | None) -> None:
    if not token:
        raise SlackError("not_authed")
    if not token.startswith(TOKEN_PREFIXES):
        raise SlackError("invalid_auth")


# ------------------------------------------------------------------------------- parsing


def _decode_json_args(args: Args) -> Args:
    for name in JSON_ARGS & args.keys():
        if isinstance(args[name], str) and args[name]:
            # Undecodable values stay strings; validation then refuses them as Slack would.
            with contextlib.suppress(ValueError):
                args[name] = json.loads(args[name])
    return args


def _parse_args(query: str, content_type: str, body: bytes) -> Args:
    args: Args = dict(parse_qsl(query, keep_blank_values=True))
    if body and content_type.startswith("application/json"):
        try:
            decoded = json.loads(body)
        except ValueError as exc:
            raise SlackError("invalid_json") from exc
        if not isinstance(decoded, dict):
            raise SlackError("invalid_json")
        args.update(decoded)
    elif body:
        args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return _decode_json_args(args)


def _bearer_token(headers: Message) -> str | None:
    scheme, _, token = (headers.get("Authorization") or "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def _csv(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def _tz_offset(tz: str) -> int:
    offset = datetime.now(ZoneInfo(tz)).utcoffset()
    return int(offset.total_seconds()) if offset else 0


# ------------------------------------------------------------------------------ HTTP glue


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    standin: SlackStandin


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._serve(self.rfile.read(length) if length else b"")

    def _serve(self, body: bytes) -> None:
        reply = self.server.standin._route(self.path, self.headers, body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


# ------------------------------------------------------------------------------ stand-in


class SlackStandin:
    """Answers the Slack Web API methods Savedesk uses, and records what it was asked."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._ts_steps = itertools.count(1)  # separate, so message ts values are predictable
        self._down = False
        self._users: dict[str, dict] = {}
        self._usergroups: dict[str, dict] = {}
        self._methods: dict[str, Callable[[Args], Reply]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.lookupByEmail": self._users_lookup_by_email,
            "usergroups.list": self._usergroups_list,
            "usergroups.users.list": self._usergroups_users_list,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }
        self.reset()

    # -- lifecycle

    def start(self) -> SlackStandin:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self._port), _Handler)
        server.standin = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="slack-standin"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._server is None:
            raise RuntimeError("SlackStandin is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def api_url(self) -> str:
        """The ``base_url`` to give ``WebClient``; it POSTs to ``{api_url}{method}``."""
        return f"{self.base_url}/api/"

    # -- state and scripting

    def reset(self) -> None:
        """Forget calls, messages, views, files, response_urls and faults (not users/groups)."""
        with self._lock:
            self._calls: list[Call] = []
            self._faults: dict[str, deque[Fault]] = defaultdict(deque)
            self._messages: dict[tuple[str, str], dict] = {}
            self._views: dict[str, dict] = {}
            self._home_views: dict[str, str] = {}
            self._files: dict[str, UploadedFile] = {}
            self._response_urls: set[str] = set()
            self._responses: list[tuple[str, dict]] = []
            self._mpims: dict[tuple[str, ...], str] = {}

    def clear(self) -> None:
        """Forget recorded calls and response_url posts; posted messages and views remain."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()

    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        name: str | None = None,
        tz: str = "America/New_York",
    ) -> dict:
        """Register a workspace member for users.info / users.lookupByEmail."""
        name = name or user_id.lower()
        user = {
            "id": user_id,
            "team_id": TEAM_ID,
            "name": name,
            "real_name": name,
            "deleted": False,
            "is_bot": False,
            "tz": tz,
            "tz_label": tz,
            "tz_offset": _tz_offset(tz),
            "profile": {"real_name": name, "display_name": name, "email": email},
        }
        with self._lock:
            self._users[user_id] = user
        return user

    def add_usergroup(self, group_id: str, handle: str, users: Iterable[str]) -> None:
        """Register a user group (e.g. the CSM on-call group) and its members."""
        with self._lock:
            self._usergroups[group_id] = {"id": group_id, "handle": handle, "users": list(users)}

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (FIFO, one fault per call)."""
        if status == 200 and not error:
            raise ValueError("fail_next needs an HTTP status other than 200 or an error code")
        with self._lock:
            for _ in range(times):
                self._faults[method].append(Fault(status, error, retry_after))

    def set_down(self, down: bool) -> None:
        """While down, every Web API call answers HTTP 503."""
        with self._lock:
            self._down = down

    def new_response_url(self) -> str:
        """A fresh response_url on this server, as Slack would put in a command/action."""
        url = f"{self.base_url}/response/{uuid.uuid4().hex}"
        with self._lock:
            self._response_urls.add(url)
        return url

    # -- inspection

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def last_call(self, method: str) -> Call | None:
        found = self.calls(method)
        return found[-1] if found else None

    def messages(self, channel: str | None = None) -> list[dict]:
        """Messages as they now stand (updates applied, deletions removed), in post order."""
        with self._lock:
            return [
                json.loads(json.dumps(m))
                for m in self._messages.values()
                if channel is None or m["channel"] == channel
            ]

    def responses(self, url: str | None = None) -> list[dict]:
        """JSON bodies POSTed to response_urls issued by :meth:`new_response_url`."""
        with self._lock:
            return [body for u, body in self._responses if url is None or u == url]

    def views(self) -> list[dict]:
        """Every view opened, pushed or published, as it now stands."""
        with self._lock:
            return [dict(v) for v in self._views.values()]

    def home_view(self, user_id: str) -> dict | None:
        with self._lock:
            view_id = self._home_views.get(user_id)
            return dict(self._views[view_id]) if view_id else None

    def files(self) -> list[UploadedFile]:
        with self._lock:
            return list(self._files.values())

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived (for work done after ack)."""
        return self._wait(lambda: self.calls(method), count, timeout, f"{method} call")

    def wait_for_responses(self, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """Block until ``count`` response_url posts arrived."""
        return self._wait(self.responses, count, timeout, "response_url post")

    def _wait(self, get: Callable[[], list], count: int, timeout: float, what: str) -> list:
        with self._changed:
            if self._changed.wait_for(lambda: len(get()) >= count, timeout):
                return get()
            seen = [c.method for c in self._calls]
        raise AssertionError(f"expected {count} {what}(s) within {timeout}s; calls seen: {seen}")

    # -- routing

    def _route(self, raw_path: str, headers: Message, body: bytes) -> _HttpReply:
        parts = urlsplit(raw_path)
        path = parts.path
        try:
            if path.startswith("/api/"):
                return self._api(path.removeprefix("/api/"), parts.query, headers, body)
            if path.startswith("/upload/"):
                return self._upload(path.removeprefix("/upload/"), body)
            if path.startswith("/response/"):
                return self._response_post(f"{self.base_url}{path}", body)
        except Exception as exc:  # a bug here must fail tests loudly, not hang them
            return _HttpReply.of_json(500, {"ok": False, "error": f"standin_bug: {exc!r}"})
        return _HttpReply.of_text(404, "not_found")

    def _api(self, method: str, query: str, headers: Message, body: bytes) -> _HttpReply:
        header_dict = dict(headers.items())
        with self._changed:
            try:
                args = _parse_args(query, headers.get("Content-Type") or "", body)
            except SlackError as exc:
                self._record(Call(method, {}, header_dict))
                return _HttpReply.of_json(200, exc.body())
            token = _bearer_token(headers) or args.get("token")
            call = Call(method, args, header_dict, token=token)
            self._record(call)
            if self._down:
                call.fault = "down"
                return _HttpReply.of_json(503, {"ok": False, "error": "service_unavailable"})
            if self._faults[method]:
                return self._fault_reply(call, self._faults[method].popleft())
            return _HttpReply.of_json(200, self._dispatch(method, token, args))

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._changed.notify_all()

    def _fault_reply(self, call: Call, fault: Fault) -> _HttpReply:
        call.fault = fault.describe()
        error = fault.error or DEFAULT_FAULT_ERRORS.get(fault.status, "fatal_error")
        headers = {}
        if fault.status == 429:
            headers["Retry-After"] = str(1 if fault.retry_after is None else fault.retry_after)
        return _HttpReply.of_json(fault.status, {"ok": False, "error": error}, headers)

    def _dispatch(self, method: str, token: str | None, args: Args) -> Reply:
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            _check_token(token)
            return {"ok": True, **handler(args)}
        except SlackError as exc:
            return exc.body()

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        micros = FIRST_TS_MICROS + 100 * next(self._ts_steps)
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"

    # -- auth / chat

    def _auth_test(self, args: Args) -> Reply:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": TEAM_NAME,
            "user": "savedesk",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _resolve_channel(self, channel: str) -> str:
        """Posting to a user ID lands in the DM with that user, as on Slack."""
        return _dm_channel(channel) if channel[:1] in ("U", "W") else channel

    def _chat_post_message(self, args: Args) -> Reply:
        _require(args, "channel")
        _check_message_content(args)
        channel, ts = self._resolve_channel(str(args["channel"])), self._next_ts()
        message = self._store_message(channel, ts, args)
        return {"channel": channel, "ts": ts, "message": _public_message(message)}

    def _store_message(self, channel: str, ts: str, args: Args) -> dict:
        message = {
            "channel": channel,
            "ts": ts,
            "thread_ts": args.get("thread_ts") or None,
            "text": args.get("text") or "",
            "blocks": args.get("blocks") or [],
            "attachments": args.get("attachments") or [],
            "files": args.get("files") or [],
            "metadata": args.get("metadata"),
            "edited": False,
        }
        self._messages[(channel, ts)] = message
        return message

    def _find_message(self, channel: str, ts: str) -> dict:
        message = self._messages.get((channel, ts))
        if message is None:
            raise SlackError("message_not_found")
        return message

    def _chat_update(self, args: Args) -> Reply:
        _require(args, "channel", "ts")
        _check_message_content(args)
        message = self._find_message(str(args["channel"]), str(args["ts"]))
        for name in ("text", "blocks", "attachments", "metadata"):
            if name in args and args[name] is not None:
                message[name] = args[name]
        message["edited"] = True
        return {
            "channel": message["channel"],
            "ts": message["ts"],
            "text": message["text"],
            "message": _public_message(message),
        }

    def _chat_delete(self, args: Args) -> Reply:
        _require(args, "channel", "ts")
        message = self._find_message(str(args["channel"]), str(args["ts"]))
        del self._messages[(message["channel"], message["ts"])]
        return {"channel": message["channel"], "ts": message["ts"]}

    def _chat_post_ephemeral(self, args: Args) -> Reply:
        _require(args, "channel", "user")
        _check_message_content(args)
        return {"message_ts": self._next_ts()}

    def _chat_get_permalink(self, args: Args) -> Reply:
        _require(args, "channel", "message_ts")
        channel, ts = str(args["channel"]), str(args["message_ts"])
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{ts.replace('.', '')}"
        known = self._messages.get((channel, ts))
        if known and known["thread_ts"] and known["thread_ts"] != ts:
            link += f"?thread_ts={known['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _conversations_open(self, args: Args) -> Reply:
        users = _csv(args.get("users"))
        if not users and not args.get("channel"):
            raise SlackError("users_list_not_supplied")
        if args.get("channel"):
            return {"channel": {"id": str(args["channel"])}}
        if len(users) == 1:
            return {"channel": {"id": _dm_channel(users[0])}}
        key = tuple(sorted(users))
        if key not in self._mpims:
            self._mpims[key] = self._next_id("G")
        return {"channel": {"id": self._mpims[key]}}

    # -- views

    def _store_view(self, view: dict, view_id: str | None = None, **extra: Any) -> dict:
        old = self._views.get(view_id) if view_id else None
        view_id = view_id or self._next_id("V")
        stored = {
            "callback_id": "",
            "private_metadata": "",
            "external_id": "",
            "state": {"values": {}},
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
        return stored

    def _view_by_external_id(self, external_id: str) -> dict | None:
        return next((v for v in self._views.values() if v["external_id"] == external_id), None)

    def _views_open(self, args: Args) -> Reply:
        _require(args, "trigger_id", "view")
        return {"view": dict(self._store_view(_check_view(args["view"])))}

    def _views_push(self, args: Args) -> Reply:
        _require(args, "trigger_id", "view")
        return {"view": dict(self._store_view(_check_view(args["view"])))}

    def _views_update(self, args: Args) -> Reply:
        _require(args, "view")
        if not args.get("view_id") and not args.get("external_id"):
            raise SlackError(
                "invalid_arguments", ["[ERROR] either view_id or external_id is required"]
            )
        view = _check_view(args["view"])
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
        _require(args, "user_id", "view")
        view = _check_view(args["view"])
        if view.get("type") != "home":
            raise SlackError("invalid_arguments", ["[ERROR] views.publish needs a home view"])
        user_id = str(args["user_id"])
        current_id = self._home_views.get(user_id)
        if current_id and args.get("hash") and args["hash"] != self._views[current_id]["hash"]:
            raise SlackError("hash_conflict")
        stored = self._store_view(view, current_id)
        self._home_views[user_id] = stored["id"]
        return {"view": dict(stored)}

    # -- users and groups

    def _users_info(self, args: Args) -> Reply:
        _require(args, "user")
        user = self._users.get(str(args["user"]))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": json.loads(json.dumps(user))}

    def _users_lookup_by_email(self, args: Args) -> Reply:
        _require(args, "email")
        email = str(args["email"]).lower()
        for user in self._users.values():
            if (user["profile"]["email"] or "").lower() == email:
                return {"user": json.loads(json.dumps(user))}
        raise SlackError("users_not_found")

    def _usergroups_list(self, args: Args) -> Reply:
        groups = []
        for group in self._usergroups.values():
            entry = {
                "id": group["id"],
                "team_id": TEAM_ID,
                "is_usergroup": True,
                "name": group["handle"],
                "handle": group["handle"],
                "user_count": len(group["users"]),
            }
            if _truthy(args.get("include_users")):
                entry["users"] = list(group["users"])
            groups.append(entry)
        return {"usergroups": groups}

    def _usergroups_users_list(self, args: Args) -> Reply:
        _require(args, "usergroup")
        group = self._usergroups.get(str(args["usergroup"]))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    # -- files

    def _files_get_upload_url(self, args: Args) -> Reply:
        _require(args, "filename", "length")
        try:
            length = int(args["length"])
        except (TypeError, ValueError) as exc:
            raise SlackError("invalid_arguments", ["[ERROR] length must be an integer"]) from exc
        file_id = self._next_id("F")
        self._files[file_id] = UploadedFile(file_id, str(args["filename"]), length)
        return {"upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, args: Args) -> Reply:
        _require(args, "files")
        entries = args["files"]
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SlackError("invalid_arguments", ["[ERROR] files must be a JSON array"])
        channels = _csv(args.get("channels")) or _csv(args.get("channel_id"))
        done = [self._complete_file(entry, channels, args.get("thread_ts")) for entry in entries]
        summaries = [_file_summary(f) for f in done]
        for channel in channels:
            self._store_message(
                channel,
                self._next_ts(),
                {"text": args.get("initial_comment"), "thread_ts": args.get("thread_ts")}
                | {"files": summaries},
            )
        return {"files": summaries}

    def _complete_file(self, entry: dict, channels: list[str], thread_ts: Any) -> UploadedFile:
        upload = self._files.get(str(entry.get("id")))
        if upload is None or upload.content is None:
            raise SlackError("file_not_found")
        upload.title = entry.get("title") or upload.filename
        upload.channels, upload.thread_ts, upload.completed = channels, thread_ts, True
        return upload

    def _upload(self, file_id: str, body: bytes) -> _HttpReply:
        with self._changed:
            upload = self._files.get(file_id)
            if upload is None:
                return _HttpReply.of_text(404, "not_found")
            upload.content = body
            self._changed.notify_all()
        return _HttpReply.of_text(200, f"OK - {len(body)}")

    # -- response_url

    def _response_post(self, url: str, body: bytes) -> _HttpReply:
        try:
            payload = json.loads(body)
        except ValueError:
            return _HttpReply.of_text(400, "invalid_payload")
        if not isinstance(payload, dict):
            return _HttpReply.of_text(400, "invalid_payload")
        if payload.get("blocks") is not None and block_problems(
            payload["blocks"], MAX_MESSAGE_BLOCKS
        ):
            return _HttpReply.of_text(400, "invalid_blocks")
        with self._changed:
            if url not in self._response_urls:
                return _HttpReply.of_text(404, "expired_url")
            self._responses.append((url, payload))
            self._changed.notify_all()
        return _HttpReply.of_text(200, "ok")


def _dm_channel(user_id: str) -> str:
    """A stable DM channel ID per user, so tests can predict it (U0CSM -> D0CSM)."""
    return f"D{user_id[1:]}"


def _public_message(message: dict) -> dict:
    """The message object Slack returns from chat.* methods."""
    public = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "app_id": APP_ID,
        "team": TEAM_ID,
        "ts": message["ts"],
        "text": message["text"],
        "blocks": message["blocks"],
    }
    if message["attachments"]:
        public["attachments"] = message["attachments"]
    if message["thread_ts"]:
        public["thread_ts"] = message["thread_ts"]
    return public


def _file_summary(upload: UploadedFile) -> dict:
    return {
        "id": upload.file_id,
        "name": upload.filename,
        "title": upload.title,
        "size": len(upload.content or b""),
        "user": BOT_USER_ID,
        "permalink": f"https://{TEAM_DOMAIN}.slack.com/files/{BOT_USER_ID}/{upload.file_id}",
    }


def main() -> None:
    """Run the stand-in on its own, for demos: `python -m tests.slack_standin --port 8888`."""
    import argparse
    import time

    parser = argparse.ArgumentParser(description="A local Slack Web API stand-in")
    parser.add_argument("--port", type=int, default=8888)
    port = parser.parse_args().port
    with SlackStandin(port=port) as standin:
        print(f"Slack stand-in: SLACK_API_URL={standin.api_url}", flush=True)
        seen = 0
        while True:
            calls = standin.calls()
            for call in calls[seen:]:
                print(f"{call.method} {json.dumps(call.args)[:200]}", flush=True)
            seen = len(calls)
            time.sleep(0.5)


if __name__ == "__main__":
    main()
