"""Holding an answer back: the stand-in has done what a call asked (the message is posted)
but keeps its answer until the test says, so a test can kill the caller at that very
moment, between Slack's acceptance and anything the caller does with the answer."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from demo.standin.records import Call, HttpReply


@dataclass
class AnswerHold:
    """One armed hold: the next `method` call (that `when` accepts) waits for `release`."""

    method: str
    when: Callable[[dict[str, Any]], bool] | None = None
    held: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    call: Call | None = None

    def wait_held(self, timeout: float = 10.0) -> Call:
        """The call whose answer is held, once it has been served (its work done)."""
        if not self.held.wait(timeout):
            raise AssertionError(f"no {self.method} call arrived within {timeout}s")
        assert self.call is not None
        return self.call

    def release(self) -> None:
        """Send the answer (to a caller that may be gone by now)."""
        self.released.set()


class HoldMethods:
    """Mixin of SlackStandin: `hold_answer`, and the wait in the request thread."""

    _lock: threading.RLock

    def _reset_holds(self) -> None:
        self._holds: list[AnswerHold] = []

    def hold_answer(
        self, method: str, when: Callable[[dict[str, Any]], bool] | None = None
    ) -> AnswerHold:
        """Serve the next `method` call (whose arguments `when` accepts, if given) as usual,
        then keep its answer until the hold is released."""
        hold = AnswerHold(method, when)
        with self._lock:
            self._holds.append(hold)
        return hold

    def _take_hold(self, call: Call) -> AnswerHold | None:
        """Called with the lock held, once `call` has been served."""
        for hold in self._holds:
            accepted = hold.when is None or hold.when(call.args)
            if hold.method == call.method and call.fault is None and accepted:
                self._holds.remove(hold)
                hold.call = call
                return hold
        return None


def write_answer(handler: BaseHTTPRequestHandler, reply: HttpReply) -> None:
    """Write `reply` (called without the lock), once its hold, if any, is released."""
    hold: AnswerHold | None = reply.hold
    if hold is not None:
        hold.held.set()
        hold.released.wait(60)
    try:
        handler.send_response(reply.status)
        handler.send_header("Content-Type", reply.content_type)
        handler.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(reply.body)
    except OSError:  # the caller went away (killed while its answer was held)
        handler.close_connection = True
