"""Time is injected: every decision asks a Clock, so tests can move time by hand."""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

log = logging.getLogger(__name__)
MAX_OFFSET_SECONDS = 100 * 365 * 86400  # a century: beyond it datetime arithmetic overflows
RACY_NS = 2_000_000_000  # a file written this recently is read again even with the same stamp


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def sleep(self, seconds: float) -> None:
        """Wait; a fake clock advances instead."""


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when told to (tests, benchmarks, simulations)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 14, 0, tzinfo=UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=max(seconds, 0)))

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class OffsetClock:
    """The real clock moved by an offset in seconds, for rehearsals and acceptance tests only
    (docs/configuration.md, *The test clock*); production never builds one (SystemClock is the
    default).

    With a `file`, the offset is the number written in it (`7776000` = 90 days), read again
    whenever the file changes (its mtime, size or inode), so every process sharing the file
    (`web`, `worker`, `tick`) reads the same "now" and a test moves a quarter by writing one
    number. `advance` writes the new offset there too: `python app.py demo` moves its clock
    this way. A file that is missing, empty or does not hold a number leaves the last offset
    read in place (0 at first) and is logged once per change; a smaller number moves the
    clock back, and is logged.
    """

    def __init__(self, base: Clock | None = None, file: Path | None = None) -> None:
        self._base = base or SystemClock()
        self._file = file
        self._offset = timedelta(0)
        self._seen: tuple[int, int, int] | None = None
        self._racy = False  # the file changed too recently for its stamp to tell a change
        self._warned: tuple[int, int, int] | None = None
        self._lock = threading.Lock()
        if file is not None:
            with self._lock:
                self._reread()

    @property
    def file(self) -> Path | None:
        return self._file

    def now(self) -> datetime:
        with self._lock:
            self._reread()
            return self._base.now() + self._offset

    def sleep(self, seconds: float) -> None:
        self._base.sleep(seconds)

    @property
    def offset(self) -> timedelta:
        with self._lock:
            self._reread()
            return self._offset

    def advance(self, delta: timedelta) -> datetime:
        """Move forward by `delta` (never back: due work is claimed by its time); with a
        file, the new offset is written there (replaced atomically) for every process."""
        if delta < timedelta(0):
            raise ValueError("an offset clock only moves forward")
        with self._lock:
            self._reread()
            self._offset += delta
            if self._file is not None:
                write_offset(self._file, self._offset)
                self._seen = _stamp(self._file)
        return self.now()

    def _reread(self) -> None:
        """Read the file again when its stamp changed, or while it was written within the
        last RACY_NS: a rewrite in place of as many characters within one tick of the file
        system's timestamps (`echo 8640000 > clock` just after `echo 7776000 > clock`) keeps
        mtime, size and inode, so only the contents can tell (git's "racily clean" case)."""
        if self._file is None:
            return
        stamp = _stamp(self._file)
        if stamp == self._seen and not self._racy:
            return
        self._seen = stamp
        self._racy = stamp[0] >= 0 and time.time_ns() - stamp[0] < RACY_NS
        try:
            offset = read_offset(self._file)
        except (OSError, ValueError) as err:
            if stamp != self._warned:  # once per change of the file
                self._warned = stamp
                log.warning(
                    "test clock file %s: %s; keeping offset %s", self._file, err, self._offset
                )
            return
        if offset < self._offset:
            log.warning(
                "test clock file %s moved the clock back (offset %s, was %s): work due by the "
                "later time stays due, and times already recorded stay ahead of now",
                self._file, offset, self._offset,
            )  # fmt: skip
        self._offset = offset


def _stamp(path: Path) -> tuple[int, int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1, -1)
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def read_offset(path: Path) -> timedelta:
    """The offset a test clock file holds: one number of seconds (`7776000`, `-60`, `1.5`).
    Raises OSError when it cannot be read, ValueError when it holds no finite number (an
    empty file too: `echo N > clock` empties the file before it writes, and a reader in
    between must not take 0)."""
    text = path.read_text().strip()
    if not text:
        raise ValueError("the file is empty")
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or abs(seconds) > MAX_OFFSET_SECONDS:
        raise ValueError(f"{text!r} is not a number of seconds")
    return timedelta(seconds=seconds)


def write_offset(path: Path, offset: timedelta) -> None:
    """Write `offset` as seconds, replacing the file atomically (a reader never sees half)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".clock-")
    with os.fdopen(fd, "w") as out:
        out.write(f"{offset.total_seconds():.6f}\n")
    os.replace(tmp, path)
