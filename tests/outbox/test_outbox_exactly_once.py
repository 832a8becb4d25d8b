"""Each message goes out exactly once, even when its deliverer is killed (`kill -9`) after
Slack accepted the post and before the row was marked sent: a real `python app.py worker`
is killed while the stand-in holds Slack's answer back, and the worker started after it
finds the post in Slack (message metadata) instead of posting it again (README, "What
survives what")."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import outbox
from bot.common.clock import SystemClock
from bot.outbox.lookup import names_row
from demo.standin import SlackStandin
from storage.db import Database
from storage.models import OutboxMessage
from tests import pg_cluster
from tests.conftest import TEST_POLICY
from tests.e2e.test_durability import Proc, eventually

LEASE_PASSED = 30  # seconds the test clock moves on: the dead worker's lease (25 s) is over


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    """Message ts are real time, as on Slack: the look-up reads from when the attempt began."""
    with SlackStandin(wallclock=time.time) as server:
        yield server


def worker(db_url: str, standin: SlackStandin, folder: Path, clock: Path) -> Proc:
    (folder / "policy.toml").write_text(TEST_POLICY)
    port = pg_cluster.free_port()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "SLACK_BOT_TOKEN": "xoxb-exactly-once",
        "SLACK_SIGNING_SECRET": "exactly-once-secret",
        "SLACK_API_URL": standin.api_url,
        "DATABASE_URL": db_url,
        "POLICY_FILE": str(folder / "policy.toml"),
        "HEALTH_PORT": str(port),
        "SAVEDESK_TEST_CLOCK_FILE": str(clock),
        "LOG_LEVEL": "INFO",
    }
    return Proc("worker", env, port, folder)


def is_root(args: dict[str, Any]) -> bool:
    return args.get("channel") == "C0CASES" and not args.get("thread_ts")


def is_reply(args: dict[str, Any]) -> bool:
    return bool(args.get("thread_ts"))


@pytest.mark.parametrize(
    ("killed_at", "read"),
    [(is_root, "conversations.history"), (is_reply, "conversations.replies")],
    ids=["root", "thread-reply"],
)
def test_a_worker_killed_between_slacks_answer_and_the_mark_posts_nothing_twice(
    db_url: str,
    standin: SlackStandin,
    tmp_path: Path,
    killed_at: Callable[[dict[str, Any]], bool],
    read: str,
) -> None:
    db = Database(db_url)
    db.migrate()
    now = SystemClock().now()
    with db.session() as session:
        root = outbox.post(session, now, "C0CASES", "A case", keep_permalink=True)
        line = outbox.reply(session, now, root, "its first line")
        dm = outbox.notify(session, now, "U0AE", "You own a case")
        ids = {"root": root.id, "line": line.id, "dm": dm.id}
    clock = tmp_path / "clock"
    clock.write_text("0")
    hold = standin.hold_answer("chat.postMessage", killed_at)
    first = worker(db_url, standin, tmp_path, clock)
    try:
        first.start()
        held = hold.wait_held(timeout=30)  # Slack posted it; the answer is on its way
        first.kill9()
    finally:
        hold.release()
        first.stop()
    row_id = held.args["metadata"]["event_payload"]["row"]
    assert row_id in ids.values()
    with db.read() as session:
        assert session.get(OutboxMessage, row_id).state == "sending", "killed before the mark"

    clock.write_text(str(LEASE_PASSED))
    second = worker(db_url, standin, tmp_path, clock)
    try:
        second.start()

        def all_sent() -> bool:
            with db.read() as session:
                states = session.scalars(select(OutboxMessage.state)).all()
            return set(states) == {"sent"}

        eventually(all_sent, 30, "every row sent", second.tail)
    finally:
        second.stop()

    messages = standin.messages()
    for name, outbox_id in ids.items():
        posted = [m for m in messages if names_row(m, outbox_id)]
        assert len(posted) == 1, f"{name}: posted {len(posted)} times"
    with db.read() as session:
        rows = {r.id: r for r in session.scalars(select(OutboxMessage))}
    (posted,) = [m for m in messages if names_row(m, row_id)]
    assert rows[row_id].ts == posted["ts"], "recorded as the message Slack has"
    root_message = next(m for m in messages if names_row(m, ids["root"]))
    line_message = next(m for m in messages if names_row(m, ids["line"]))
    assert line_message["thread_ts"] == root_message["ts"]
    assert rows[ids["root"]].permalink
    where = rows[row_id].channel
    (lookup,) = [c for c in standin.calls(read) if c.args["channel"] == where]
    assert lookup.args["include_all_metadata"] in (True, "1", "true")
    db.dispose()
