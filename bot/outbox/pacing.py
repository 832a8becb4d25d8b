"""Pacing of posts per channel, and Slack's Retry-After.

Slack lets an app post about one message per second to a channel, "with short bursts above
that" (https://api.slack.com/apis/rate-limits#special-rate-limits, chat.postMessage): a
token bucket per channel (a DM is a channel of its own) holds `burst` posts and refills one
per `interval`. Only posts are paced (chat.postMessage and file uploads); chat.update,
chat.postEphemeral, response_url answers and views.* are not.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

POST_PACE_SECONDS = 1.0
BURST = 3
_EPSILON = 1e-9


def retry_after(headers: Any) -> timedelta:
    """Slack's Retry-After (any header casing); one second if absent or unreadable."""
    value = next((v for k, v in dict(headers or {}).items() if k.lower() == "retry-after"), "1")
    if isinstance(value, list):
        value = value[0] if value else "1"
    try:
        return timedelta(seconds=min(max(int(str(value).strip()), 0), 3600))
    except ValueError:
        return timedelta(seconds=1)


class Pacer:
    """A token bucket per channel: `delay(channel)` says how long until a post may go,
    `take(channel)` spends one. Pacing is about real elapsed time, so it keeps its own
    monotonic clock rather than the injected business clock (which tests move by days)."""

    def __init__(
        self,
        interval: float = POST_PACE_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        burst: int = BURST,
    ) -> None:
        self.interval = interval
        self.monotonic = monotonic
        self.sleep = sleep
        self.burst = max(burst, 1)
        self._buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, at)
        self._lock = threading.Lock()

    def _tokens(self, channel: str, now: float) -> float:
        tokens, at = self._buckets.get(channel, (float(self.burst), now))
        return min(float(self.burst), tokens + (now - at) / self.interval)

    def delay(self, channel: str) -> float:
        """Seconds until a post to `channel` keeps to the pace (0: now)."""
        with self._lock:
            tokens = self._tokens(channel, self.monotonic())
        return 0.0 if tokens >= 1 - _EPSILON else (1 - tokens) * self.interval

    def take(self, channel: str) -> None:
        """A post to `channel` goes now."""
        with self._lock:
            now = self.monotonic()
            self._buckets[channel] = (max(self._tokens(channel, now) - 1, 0.0), now)
            if len(self._buckets) > 10_000:  # forget channels whose bucket is full again
                full = [c for c in self._buckets if self._tokens(c, now) >= self.burst]
                for channel_id in full:
                    del self._buckets[channel_id]

    def waiting(self) -> dict[str, float]:
        """Channels that must wait before their next post, with the wait in seconds."""
        with self._lock:
            now = self.monotonic()
            tokens = {c: self._tokens(c, now) for c in self._buckets}
        return {c: (1 - t) * self.interval for c, t in tokens.items() if t < 1 - _EPSILON}

    def wait(self, channel: str) -> None:
        """Sleep until a post to `channel` keeps to the pace, then take it."""
        pause = self.delay(channel)
        if pause > 0:
            self.sleep(pause)
        self.take(channel)
