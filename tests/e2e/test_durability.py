"""Faults with real processes on a PostgreSQL of the test's own: `kill -9` of the web process
and of the worker in the middle of a burst loses nothing acknowledged and says nothing
twice; PostgreSQL stopped for 15 s is waited out, `/healthz` says so, and delivery and
nudges resume without a restart (docs/operations.md, *What survives what*). The burst
mixes slash commands, signal webhooks, Stripe events and Events API messages from a listed
integration bot in a watched channel, each handled before its acknowledgement."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, update

from bot.common.clock import SystemClock
from demo.standin import SlackStandin
from demo.standin.sender import SlackSender
from storage.db import Database
from storage.models import Account, Case, Job, OutboxMessage, ScheduledStep
from tests import pg_cluster
from tests.conftest import PG_URL
from tests.signals.test_watch_and_shortcut import SIGNALS_POLICY, bot_message
from tests.stripe_requests import event, subscription
from tests.stripe_requests import post as post_stripe

pytestmark = pytest.mark.skipif(
    not PG_URL or not pg_cluster.available(),
    reason="real processes on a PostgreSQL of the test's own (the PostgreSQL pass)",
)

ROOT = Path(__file__).resolve().parents[2]
SECRET = "durability-signing-secret"
SIGNALS_SECRET = "durability-signals-secret"


@pytest.fixture
def pg() -> Iterator[pg_cluster.Cluster]:
    cluster = pg_cluster.Cluster().init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.remove()


class Proc:
    """`python app.py <mode>` with its settings in the environment."""

    def __init__(self, mode: str, env: dict[str, str], port: int, logs: Path) -> None:
        self.mode, self.env, self.port, self.logs = mode, env, port, logs
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        log = open(self.logs / f"{self.mode}.log", "ab")  # noqa: SIM115 - the child keeps it
        self.popen = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py"), self.mode],
            env=self.env,
            cwd=self.logs,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, self.tail()
            if self.health()[0]:
                return self
            time.sleep(0.05)
        raise AssertionError(f"{self.mode} did not answer: {self.tail()}")

    def health(self) -> tuple[int, dict]:
        try:
            url = f"http://127.0.0.1:{self.port}/healthz"
            with urllib.request.urlopen(url, timeout=3) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read())
        except OSError:
            return 0, {}

    def kill9(self) -> None:
        assert self.popen is not None
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()

    def tail(self) -> str:
        return (self.logs / f"{self.mode}.log").read_text()[-3000:]


class Deployment:
    """`web` and `worker` as separate processes against one database and the stand-in; the
    policy watches C0SUPPORT and lists the integration bot B0BILLING."""

    def __init__(self, url: str, standin: SlackStandin, folder: Path) -> None:
        (folder / "policy.toml").write_text(SIGNALS_POLICY)
        base = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "SLACK_BOT_TOKEN": "xoxb-durability",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": url,
            "POLICY_FILE": str(folder / "policy.toml"),
            "SIGNALS_WEBHOOK_SECRET": SIGNALS_SECRET,
            "STRIPE_WEBHOOK_SECRET": "whsec_test",
            "LOG_LEVEL": "INFO",
        }
        web_port, health_port = pg_cluster.free_port(), pg_cluster.free_port()
        self.web = Proc("web", {**base, "PORT": str(web_port)}, web_port, folder)
        worker_env = {**base, "HEALTH_PORT": str(health_port)}
        self.worker = Proc("worker", worker_env, health_port, folder)
        self.base_url = f"http://127.0.0.1:{web_port}"
        self.slack = SlackSender(
            self.base_url, SECRET, response_url_factory=standin.new_response_url
        )

    def stop(self) -> None:
        self.web.stop()
        self.worker.stop()


def seed(url: str, count: int) -> None:
    db = Database(url)
    db.migrate()
    now = SystemClock().now()
    with db.session() as session:
        for i in range(count):
            session.add(
                Account(
                    external_id=f"acct-{i}",
                    name=f"Account {i:03d} Ltd",
                    csm="U0CSM",
                    account_owner="U0AE",
                    stripe_customer_id=f"cus_{i}",
                    currency="USD",
                    created_at=now,
                    updated_at=now,
                )
            )
    db.dispose()


def signal_post(deployment: Deployment, account: str, external_id: str) -> int:
    raw = json.dumps(
        {
            "account": account,
            "kind": "usage_drop",
            "summary": "usage down",
            "external_id": external_id,
        }
    ).encode()
    stamp = str(int(time.time()))
    mac = hmac.new(SIGNALS_SECRET.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "X-Savedesk-Request-Timestamp": stamp,
        "X-Savedesk-Signature": f"v0={mac.hexdigest()}",
    }
    return deployment.slack.post("/webhooks/signals", raw, headers).status


def eventually(
    check: Callable[[], object], timeout: float, what: str, why: Callable[[], str] = str
) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: {why()}"
        time.sleep(0.1)


def test_kill_9_of_web_and_worker_mid_burst_loses_nothing_and_says_nothing_twice(
    pg: pg_cluster.Cluster, standin: SlackStandin, tmp_path: Path
) -> None:
    commands, signals_sent, stripe_events, events_sent = 16, 6, 4, 6
    seed(pg.url, commands + stripe_events + events_sent)
    deployment = Deployment(pg.url, standin, tmp_path)
    deployment.web.start()
    deployment.worker.start()
    acknowledged: dict[str, set[str]] = {
        "/churn": set(), "crm": set(), "Stripe": set(), "events": set()
    }  # fmt: skip
    lock = threading.Lock()

    def send(n: int) -> None:
        try:
            if n % 4 == 1 and n // 4 < signals_sent:  # a signal for an unknown account
                account = f"sig-{n}"
                ok = signal_post(deployment, account, f"ext-{n}") in (200, 201)
                kind = "crm"
            elif n % 6 == 2 and n // 6 < stripe_events:
                account = f"acct-{commands + n // 6}"
                cancel = subscription(f"sub_{n}", customer=f"cus_{commands + n // 6}",
                                      cancel_at_period_end=True)  # fmt: skip
                body = event("customer.subscription.updated", cancel, datetime.now(UTC))
                ok = post_stripe(deployment.slack, body).status == 200
                kind = "Stripe"
            elif n % 6 == 0 and n // 6 < events_sent:  # the billing bot names one account
                account = f"acct-{commands + stripe_events + n // 6}"
                text = f"Subscription for {account} set to cancel at period end"
                message = bot_message(text, ts=f"1767621700.{n:06d}")
                ok = deployment.slack.event(message, event_id=f"EvBurst{n}").status == 200
                kind = "events"
            else:
                account = f"acct-{n % commands}"
                answer = deployment.slack.slash_command(f"cancel {account} leaving")
                ok = answer.status == 200 and "Opening a case" in answer.text
                kind = "/churn"
        except OSError:
            return  # the web process is down: not acknowledged (Slack would show an error)
        if ok:
            with lock:
                acknowledged[kind].add(account)

    total = commands + signals_sent + stripe_events + events_sent
    with ThreadPoolExecutor(max_workers=6) as pool:
        for n in range(total):
            pool.submit(send, n)
            if n == total // 3:
                deployment.web.kill9()
                deployment.web.start()
            if n == 2 * total // 3:
                deployment.worker.kill9()
                deployment.worker.start()
            time.sleep(0.01)
    try:
        engine = create_engine(pg.url)
        with engine.connect() as conn:
            accepted = conn.scalar(select(func.count()).select_from(Job))

        def settled() -> bool:
            with engine.connect() as conn:
                waiting = conn.scalar(
                    select(func.count()).select_from(Job).where(Job.state != "done")
                )
                cases = conn.scalar(select(func.count()).select_from(Case))
            roots = [m for m in standin.messages("C0CASES") if not m.get("thread_ts")]
            return waiting == 0 and len(roots) >= (cases or 0)

        def state() -> str:
            with engine.connect() as conn:
                jobs = conn.execute(select(Job.state, func.count()).group_by(Job.state)).all()
                outbox = conn.execute(
                    select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state)
                ).all()
                cases = conn.scalar(select(func.count()).select_from(Case))
            roots = [m for m in standin.messages("C0CASES") if not m.get("thread_ts")]
            logs = deployment.worker.tail()[-1500:]
            return f"jobs {jobs}, outbox {outbox}, cases {cases}, roots {len(roots)}\n{logs}"

        eventually(settled, 150, "every job done and every root delivered", state)
        with engine.connect() as conn:
            rows = conn.execute(
                select(Account.external_id, Account.name, Case.source).join(
                    Account, Account.id == Case.account_id
                )
            ).all()
            sent = conn.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == "sent", OutboxMessage.method == "chat.postMessage")
            )
        engine.dispose()
    finally:
        deployment.stop()
    per_account = Counter(external_id for external_id, _name, _source in rows)
    assert max(per_account.values()) == 1, "one case per account"
    opened = set(per_account)
    for source, accounts in acknowledged.items():
        assert accounts <= opened, f"{source}: acknowledged but never a case: {accounts - opened}"
    assert sum(map(len, acknowledged.values())) > total // 2, "the burst was mostly acknowledged"
    assert accepted >= len(acknowledged["/churn"])
    assert acknowledged["events"], "events after the web restart were acknowledged"
    by_bot = {external_id for external_id, _name, source in rows if source == "integration bot"}
    assert acknowledged["events"] <= by_bot, "an acknowledged event opened its case as the bot"
    roots = Counter(m["text"] for m in standin.messages("C0CASES") if not m.get("thread_ts"))
    for _external_id, name, _source in rows:
        assert sum(n for text, n in roots.items() if name in text) == 1, f"one root for {name}"
    posts = Counter(
        (c.args.get("channel"), c.args.get("thread_ts"), c.args.get("text"))
        for c in standin.calls("chat.postMessage")
        if c.fault is None and not c.args.get("thread_ts")  # roots and DMs: each unique
    )
    twice = {post: n for post, n in posts.items() if n > 1}
    assert not twice, f"posted more than once: {twice} ({sent} sent)"


def test_postgresql_stopped_for_15_s_is_waited_out_without_a_restart(
    pg: pg_cluster.Cluster, standin: SlackStandin, tmp_path: Path
) -> None:
    seed(pg.url, 3)
    deployment = Deployment(pg.url, standin, tmp_path)
    deployment.web.start()
    deployment.worker.start()
    try:
        before = deployment.slack.slash_command("cancel acct-0 leaving")
        assert "Opening a case" in before.text
        eventually(lambda: len(standin.messages("C0CASES")) >= 1, 20, "first root")
        pg.stop()
        outage_started = time.monotonic()
        eventually(lambda: deployment.web.health()[0] == 503, 10, "web says 503")
        eventually(lambda: deployment.worker.health()[0] == 503, 40, "worker says 503")
        _status, body = deployment.web.health()
        assert any("database" in reason for reason in body["reasons"]), body
        assert signal_post(deployment, "sig-1", "during-outage") == 503
        refused = deployment.slack.slash_command("cancel acct-1 leaving")
        assert "cannot reach its database" in refused.text
        time.sleep(max(0.0, 15 - (time.monotonic() - outage_started)))
        pg.start()
        back = time.monotonic()
        eventually(lambda: deployment.web.health()[0] == 200, 10, "web healthy within 10 s")
        eventually(lambda: deployment.worker.health()[0] == 200, 10, "worker within 10 s")
        assert time.monotonic() - back < 10
        after = deployment.slack.slash_command("cancel acct-2 leaving")
        assert "Opening a case" in after.text
        eventually(
            lambda: any("Account 002" in m["text"] for m in standin.messages("C0CASES")),
            10,
            "a root delivered after the outage",
            lambda: deployment.worker.tail() + json.dumps(deployment.worker.health()[1]),
        )
        engine = create_engine(pg.url)
        with engine.begin() as conn:  # the first case's nudge falls due now
            conn.execute(
                update(ScheduledStep)
                .where(ScheduledStep.kind == "ack_nudge", ScheduledStep.state == "pending")
                .values(due_at=datetime.now(UTC))
            )
        engine.dispose()
        eventually(
            lambda: (
                any("acknowledge" in json.dumps(m).lower() for m in standin.messages("U0CSM"))
                or len(standin.calls("chat.postMessage")) > 6
            ),
            20,
            "a nudge delivered after the outage",
        )
    finally:
        deployment.stop()
