"""The stand-in's server: lifecycle, scripted faults, inspection and routing.

The bot talks to it through an ordinary ``slack_sdk.WebClient(base_url=standin.api_url)``
(the serialisation, headers and error handling of production). It records every call,
checks arguments and Block Kit as Slack does, and can fail (429, 5xx, Slack errors) or go
down entirely on demand."""

from __future__ import annotations

import itertools
import json
import threading
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from demo.standin.chat import ChatMethods
from demo.standin.directory import DirectoryMethods
from demo.standin.files import FileMethods
from demo.standin.functions import FunctionMethods
from demo.standin.history import HistoryMethods
from demo.standin.holds import HoldMethods, write_answer
from demo.standin.installs import InstallMethods, client_credentials
from demo.standin.records import (
    Call,
    Fault,
    HttpReply,
    ResponseUrl,
    UploadedFile,
)
from demo.standin.refusals import RefusalMethods
from demo.standin.rehearsal import RehearsalMethods
from demo.standin.validation import Args, Reply, SlackError, bearer_token, check_token, parse_args
from demo.standin.views import ViewMethods

FIRST_TS_MICROS = 1_700_000_000_000_000


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
        write_answer(self, self.server.standin._route(self.path, self.headers, body))

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


_MIXINS = (ChatMethods, HistoryMethods, ViewMethods, DirectoryMethods, FileMethods, RefusalMethods)
_OWN = (HoldMethods, InstallMethods, FunctionMethods, RehearsalMethods)


class SlackStandin(*_MIXINS, *_OWN):  # type: ignore[misc]
    """Answers the Slack Web API methods Savedesk uses, and records what it was asked.

    ``monotonic`` measures the life of trigger ids (3 s) and response_urls (30 min);
    ``strict_triggers`` refuses trigger ids the stand-in did not issue; ``strict_users``
    answers ``user_not_found`` for user IDs never registered with ``add_user`` (and
    ``strict_channels``, set after, channel_not_found for channels: refusals.py). Message ``ts``
    values count up from a fixed start (predictable in tests) unless ``wallclock`` (epoch
    seconds) is given: then each ts is that time, as on Slack, kept strictly increasing.
    """

    def __init__(
        self,
        port: int = 0,
        *,
        strict_triggers: bool = False,
        strict_users: bool = False,
        monotonic: Callable[[], float] = time.monotonic,
        wallclock: Callable[[], float] | None = None,
    ) -> None:
        self._port = port
        self.strict_triggers = strict_triggers
        self.strict_users = strict_users
        self._now = monotonic
        self._wallclock = wallclock
        self._last_micros = 0
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ids = itertools.count(1)
        self._ts_steps = itertools.count(1)  # separate, so message ts values are predictable
        self._down = False
        self._version = 0
        self._users: dict[str, dict] = {}
        self._usergroups: dict[str, dict] = {}
        self._channels: dict[str, dict] = {}
        self._methods: dict[str, Callable[[Args], Reply]] = {
            "auth.test": self._auth_test,
            "auth.teams.list": lambda _args: self._auth_teams_list(None),
            "auth.revoke": lambda args: self._auth_revoke(None, args),
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "conversations.open": self._conversations_open,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "conversations.info": self._conversations_info,
            "conversations.join": self._conversations_join,
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
            "oauth.v2.access": self._oauth_v2_access,
            "functions.completeSuccess": self._functions_complete_success,
            "functions.completeError": self._functions_complete_error,
        }
        self._reset_installs()
        self._reset_functions()
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
        """Forget calls, messages, views, files, response_urls, faults and lasting refusals
        (not users/groups)."""
        with self._lock:
            self._reset_refusals()
            self._reset_holds()
            self._calls: list[Call] = []
            self._faults: dict[str, deque[Fault]] = defaultdict(deque)
            self._messages: dict[tuple[str, str], dict] = {}
            self._ephemerals: list[dict] = []
            self._views: dict[str, dict] = {}
            self._home_views: dict[str, str] = {}
            self._modal_stacks: dict[str, list[str]] = {}
            self._triggers: dict = {}
            self._files: dict[str, UploadedFile] = {}
            self._response_urls: dict[str, ResponseUrl] = {}
            self._responses: list[tuple[str, dict]] = []
            self._mpims: dict[tuple[str, ...], str] = {}
            self._bump()

    def clear(self) -> None:
        """Forget recorded calls and response_url posts; posted messages and views remain."""
        with self._lock:
            self._calls.clear()
            self._responses.clear()

    def fail_next(
        self,
        method: str,
        *,
        status: int = 200,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        channel: str | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (FIFO, one fault per call); with
        ``channel``, only calls naming that channel."""
        if status == 200 and not error:
            raise ValueError("fail_next needs an HTTP status other than 200 or an error code")
        with self._lock:
            for _ in range(times):
                self._faults[method].append(Fault(status, error, retry_after, channel))

    def set_down(self, down: bool) -> None:
        """While down, every Web API call answers HTTP 503."""
        with self._lock:
            self._down = down

    def new_response_url(self, *where: str | None) -> str:
        """A new response_url; ``where``: user, channel, message ts, thread clicked in."""
        url = f"{self.base_url}/response/{uuid.uuid4().hex}"
        user, channel, message_ts, thread_ts = (*where, None, None, None, None)[:4]
        with self._lock:
            self._response_urls[url] = ResponseUrl(
                url, user, channel, message_ts, self._now(), thread_ts=thread_ts
            )
        return url

    # -- inspection

    @property
    def version(self) -> int:
        """Goes up on every change a client could see (messages, views, ephemerals)."""
        with self._lock:
            return self._version

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

    def ephemerals(self, user: str | None = None) -> list[dict]:
        """Messages shown to one person only (postEphemeral, acks, response_url replies)."""
        with self._lock:
            return [dict(e) for e in self._ephemerals if user is None or e["user"] == user]

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

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 20.0) -> list[Call]:
        """Block until ``count`` calls of ``method`` arrived (for work done after ack). The
        timeout only bounds a failure: a loaded test machine may need seconds."""
        return self._wait(lambda: self.calls(method), count, timeout, f"{method} call")

    def wait_for_responses(self, count: int = 1, timeout: float = 20.0) -> list[dict]:
        """Block until ``count`` response_url posts arrived."""
        return self._wait(self.responses, count, timeout, "response_url post")

    def _wait(self, get: Callable[[], list], count: int, timeout: float, what: str) -> list:
        with self._changed:
            if self._changed.wait_for(lambda: len(get()) >= count, timeout):
                return get()
            seen = [c.method for c in self._calls]
        raise AssertionError(f"expected {count} {what}(s) within {timeout}s; calls seen: {seen}")

    # -- routing

    def _route(self, raw_path: str, headers: Message, body: bytes) -> HttpReply:
        parts = urlsplit(raw_path)
        path = parts.path
        try:
            if path.startswith("/api/"):
                return self._api(path.removeprefix("/api/"), parts.query, headers, body)
            if path.startswith("/upload/"):
                return self._upload(path.removeprefix("/upload/"), body)
            if path.startswith("/files/"):
                return self._download(path.removeprefix("/files/"))
            if path.startswith("/response/"):
                return self._response_post(f"{self.base_url}{path}", body)
            if path == "/oauth/v2/authorize":
                return self._authorize_page(parts.query)
            if path.startswith("/standin/"):  # its own, for a rehearsal (rehearsal.py)
                return self._rehearsal(path.removeprefix("/standin/"), body)
        except Exception as exc:  # a bug here must fail tests loudly, not hang them
            return HttpReply.of_json(500, {"ok": False, "error": f"standin_bug: {exc!r}"})
        return HttpReply.of_text(404, "not_found")

    def _api(self, method: str, query: str, headers: Message, body: bytes) -> HttpReply:
        header_dict = dict(headers.items())
        with self._changed:
            try:
                args = parse_args(query, headers.get("Content-Type") or "", body)
            except SlackError as exc:
                self._record(Call(method, {}, header_dict))
                return HttpReply.of_json(200, exc.body())
            args = client_credentials(headers, args)
            token = bearer_token(headers) or args.get("token")
            call = Call(method, args, header_dict, token=token)
            self._record(call)
            if self._down:
                call.fault = "down"
                return HttpReply.of_json(503, {"ok": False, "error": "service_unavailable"})
            fault = self._next_fault(method, args)
            if fault is not None:
                return self._fault_reply(call, fault)
            refused = self._lasting_refusal(method, args)
            if refused is not None:
                call.fault = str(json.loads(refused.body)["error"])
                return refused
            answer = self._dispatch(method, token, args)
            reply = HttpReply.of_json(200, answer)
            reply.hold = self._take_hold(call) if answer.get("ok") else None
            return reply

    def _next_fault(self, method: str, args: Args) -> Fault | None:
        faults = self._faults[method]
        channel = str(args.get("channel") or args.get("channel_id") or "")
        for fault in faults:
            if fault.channel is None or fault.channel == channel:
                faults.remove(fault)
                return fault
        return None

    def _record(self, call: Call) -> None:
        self._calls.append(call)
        self._changed.notify_all()

    def _bump(self) -> None:
        self._version += 1

    def _dispatch(self, method: str, token: str | None, args: Args) -> Reply:
        try:
            handler = self._methods.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            if method == "oauth.v2.access":  # the app's credentials, no token
                return {"ok": True, **handler(args)}
            check_token(token)
            self._check_installed(str(token), method, args)
            answer = self._installed_answer(method, token, args)
            return {"ok": True, **(answer if answer is not None else handler(args))}
        except SlackError as exc:
            return exc.body()

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def _next_ts(self) -> str:
        if self._wallclock is None:
            micros = FIRST_TS_MICROS + 100 * next(self._ts_steps)
        else:
            micros = max(int(self._wallclock() * 1_000_000), self._last_micros + 1)
            self._last_micros = micros
        return f"{micros // 1_000_000}.{micros % 1_000_000:06d}"
