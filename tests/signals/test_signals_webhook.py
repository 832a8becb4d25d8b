"""POST /webhooks/signals over HTTP: signed bodies in, cases and answers out."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import OperationalError

from bot.signals.webhook import parse_webhook
from demo.standin.sender import Response
from handlers.web import create_web_app
from storage.models import Account, Case, CaseEvent, InboundEvent
from tests.conftest import RunningApp, seed_account

SECRET = "test-signals-secret"
PATH = "/webhooks/signals"


def send(
    app: RunningApp,
    body: dict[str, Any] | bytes,
    *,
    at: datetime | None = None,
    secret: str = SECRET,
    headers: dict[str, str] | None = None,
) -> Response:
    """POST a body signed the documented way, at the app's (fake) now unless told."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    ts = int((at or app.services.clock.now()).timestamp())
    digest = hmac.new(secret.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    signed = {
        "Content-Type": "application/json",
        "X-Savedesk-Request-Timestamp": str(ts),
        "X-Savedesk-Signature": f"v0={digest}",
    }
    return app.slack.post(PATH, raw, signed | (headers or {}))


def signal(**overrides: Any) -> dict[str, Any]:
    body = {
        "account": "acme",
        "kind": "cancellation",
        "summary": "Asked to cancel at renewal",
        "external_id": "crm-1",
        "source": "crm",
    }
    return {k: v for k, v in (body | overrides).items() if v is not None}


def cases(app: RunningApp) -> list[Case]:
    with app.services.db.session() as session:
        return list(session.scalars(select(Case).order_by(Case.id)))


def event_types(app: RunningApp, case_id: int) -> list[str]:
    with app.services.db.session() as session:
        stmt = select(CaseEvent.type).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        return list(session.scalars(stmt))


def roots(app: RunningApp) -> list[dict]:
    return [m for m in app.standin.messages("C0CASES") if not m.get("thread_ts")]


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    seed_account(running_app.services, "acme", "Acme Corp")
    return running_app


def test_new_signal_opens_a_case_and_a_replay_is_a_duplicate(app: RunningApp) -> None:
    body = signal(arr=12000.5, occurred_at="2026-01-05T09:30:00Z", details={"stage": "renewal"})
    first = send(app, body)
    assert (first.status, first.json()) == (201, {"case_id": 1, "created": True})
    again = send(app, body)
    assert again.status == 200
    assert again.json() == {"case_id": 1, "created": False, "duplicate": True}
    [case] = cases(app)
    assert (case.kind, case.source, case.stated_reason) == (
        "cancellation",
        "crm",
        "Asked to cancel at renewal",
    )
    assert case.arr_at_risk == pytest.approx(12000.5)
    assert case.details["details"] == {"stage": "renewal"}
    assert case.details["occurred_at"].startswith("2026-01-05T09:30:00")
    app.tick()
    assert len(roots(app)) == 1
    assert event_types(app, case.id).count("signal") == 0


def test_signal_for_an_open_case_is_attached(app: RunningApp) -> None:
    assert send(app, signal()).status == 201
    other = send(app, signal(kind="usage_drop", external_id="crm-1", source="analytics"))
    assert other.status == 200
    assert other.json() == {"case_id": 1, "created": False, "attached": True}
    assert send(app, signal(kind="usage_drop", source="analytics")).json()["duplicate"] is True
    assert len(cases(app)) == 1
    assert event_types(app, 1).count("signal") == 1
    payment = send(app, signal(kind="payment_failed", external_id="crm-2"))
    assert payment.status == 201, "payment failures are a track of their own"


def test_a_known_accounts_signal_skips_the_account_look_up(app: RunningApp) -> None:
    """A burst names the same few accounts: after the first signal, the account's id is
    remembered and only the attach's own unit of work runs."""
    assert send(app, signal()).status == 201
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(app.services.db.engine, "before_cursor_execute", seen)
    try:
        assert send(app, signal(kind="usage_drop", external_id="crm-7")).status == 200
    finally:
        event.remove(app.services.db.engine, "before_cursor_execute", seen)
    assert statements, "the attach ran"
    assert not [s for s in statements if "accounts.external_id =" in s]


def test_a_burst_of_first_signals_for_a_new_account_makes_one_stub_and_one_case(
    app: RunningApp,
) -> None:
    """The stub account is created in the case's own unit of work: signals racing to create
    the same stub and the same case lose on a unique key, run again and attach, and a
    retried signal in the race is a duplicate, never an error."""
    bodies = [signal(account="newco-7", external_id=f"e-{n % 10}") for n in range(16)]
    start = threading.Barrier(len(bodies))

    def fire(body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        start.wait()
        answer = send(app, body)
        return answer.status, answer.json()

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        answers = list(pool.map(fire, bodies))
    assert sorted(status for status, _ in answers) == [200] * 15 + [201]
    assert {answer["case_id"] for _, answer in answers} == {1}
    assert sum(1 for _, answer in answers if answer.get("duplicate")) == 6
    with app.services.db.session() as session:
        stubs = session.scalars(select(Account).where(Account.external_id == "newco-7")).all()
    assert len(stubs) == 1 and len(cases(app)) == 1
    assert event_types(app, 1).count("signal") == 9


def test_unknown_account_gets_a_stub_and_the_case_says_so(app: RunningApp) -> None:
    answer = send(app, signal(account="newco-42", source=None))
    assert answer.status == 201
    with app.services.db.session() as session:
        account = session.scalar(select(Account).where(Account.external_id == "newco-42"))
        assert account is not None and account.is_stub
        dedupe = session.scalar(select(InboundEvent.source))
    assert dedupe == "signals:signals"
    case = cases(app)[0]
    assert case.source == "signals"
    assert "stub_account" in event_types(app, case.id)
    app.tick()
    root, *thread = app.standin.messages("C0CASES")
    assert "stub created; import it" in json.dumps(root["blocks"])  # the root says it
    assert not any("was not known" in m["text"] for m in thread)


BAD_BODIES: list[tuple[Any, str]] = [
    (b"{not json", "body: not valid JSON"),
    (b"[1, 2]", "body: expected a JSON object"),
    (b'{"account": "acme", "arr": NaN}', "body: not valid JSON"),
    (b"\xff\xfe garbage", "body: not valid JSON"),
    (b"[" * 100_000, "body: "),
    (signal(summary=None), "summary: missing"),
    (signal(account=None), "account: missing"),
    (signal(external_id=""), "external_id: must not be empty"),
    (signal(kind="angry"), 'kind: "angry" is not a kind'),
    (signal(kind=3), "kind: expected a string"),
    (signal(priority="high", team="x"), "priority, team: unknown fields"),
    (signal(arr=-1), "arr: must not be negative"),
    (signal(arr="12k"), "arr: expected a number"),
    (signal(arr=True), "arr: expected a number"),
    (signal(arr=1e15), "arr: larger than"),
    (signal(occurred_at="yesterday"), "occurred_at: expected an ISO 8601"),
    (signal(details=["a"]), "details: expected an object"),
    (signal(details={"note": "a\x00b"}), "details: must not contain NUL"),
    (signal(summary="a\x00b"), "summary: must not contain NUL"),
    (signal(source="s" * 57), "source: longer than 56 characters"),
    (signal(account="a" * 201), "account: longer than 200 characters"),
    (signal(account="Caf\ud83d"), "account: not valid Unicode"),  # an emoji cut in half
    (signal(summary="\ud800 down"), "summary: not valid Unicode"),
]
REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"at_offset": timedelta(minutes=-6)}, "more than 5 minutes"),
    ({"at_offset": timedelta(minutes=6)}, "more than 5 minutes"),
    ({"secret": "someone-else"}, "does not match"),
    ({"headers": {"X-Savedesk-Signature": "v0=ünïcode"}}, "does not match"),
    ({"headers": {"X-Savedesk-Request-Timestamp": "soon"}}, "not a Unix time"),
    ({"headers": {"X-Savedesk-Signature": ""}}, "missing"),
]


def test_bad_bodies_get_400_naming_the_field(app: RunningApp) -> None:
    """One running app for every case: each is a separate request, none may have an effect."""
    for body, error in BAD_BODIES:
        answer = send(app, body)
        assert (answer.status, answer.json()["error"][: len(error)]) == (400, error), body
    assert cases(app) == []


def test_unsigned_or_stale_requests_get_401_and_no_case(app: RunningApp) -> None:
    for change, why in REFUSALS:
        at = app.services.clock.now() + change.get("at_offset", timedelta(0))
        extra = {k: v for k, v in change.items() if k != "at_offset"}
        answer = send(app, signal(), at=at, **extra)
        assert answer.status == 401, change
        assert why in answer.json()["error"], change
    assert cases(app) == []
    with app.services.db.session() as session:
        assert session.scalar(select(InboundEvent)) is None


def test_a_signature_for_another_body_is_refused(app: RunningApp) -> None:
    ts = str(int(app.services.clock.now().timestamp()))
    raw = json.dumps(signal()).encode()
    digest = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    tampered = raw.replace(b"crm-1", b"crm-2")
    headers = {"X-Savedesk-Request-Timestamp": ts, "X-Savedesk-Signature": f"v0={digest}"}
    assert app.slack.post(PATH, tampered, headers).status == 401
    assert cases(app) == []


def test_without_a_secret_the_endpoint_does_not_exist(app: RunningApp) -> None:
    settings = dataclasses.replace(app.services.settings, signals_webhook_secret=None)
    web = create_web_app(dataclasses.replace(app.services, settings=settings), None)
    answer = web.test_client().post(PATH, data=json.dumps(signal()))
    assert answer.status_code == 404
    assert cases(app) == []


def test_a_moment_without_a_zone_is_read_as_utc() -> None:
    """docs/webhooks.md: `occurred_at` without a zone is UTC (a naive time would be read in whatever
    zone the reader's server happens to be)."""
    naive = parse_webhook(json.dumps(signal(occurred_at="2026-01-05T09:30:00")).encode())
    zoned = parse_webhook(json.dumps(signal(occurred_at="2026-01-05T10:30:00+01:00")).encode())
    assert naive.occurred_at == zoned.occurred_at == datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    assert naive.occurred_at is not None and naive.occurred_at.utcoffset() == timedelta(0)


def test_a_database_that_cannot_be_reached_asks_the_sender_to_retry(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database gone (a pool that cannot connect) is a 503 with Retry-After, never a 500;
    a real outage is tested with real processes in tests/e2e/test_durability.py."""

    def down(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("INSERT …", {}, Exception("connection refused"))

    monkeypatch.setattr(app.services.signals, "receive", down)
    answer = send(app, signal())
    assert answer.status == 503
    assert answer.headers["Retry-After"] == "5" and "retry" in answer.json()["error"]
