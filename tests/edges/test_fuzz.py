"""Property tests (Hypothesis): whatever people and systems send, Savedesk answers.

No exception escapes; every answer is a usage text, an inline `response_action: errors`
naming the field, or a 4xx naming the field; every Block Kit payload Slack (the strict
stand-in) receives validates. Runs are bounded and derandomized so the suite stays fast
and deterministic.
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cases.models import Signal
from bot.common import commands
from bot.imports.accounts import AccountImporter
from bot.imports.csvfile import ImportFileError
from demo.standin.validation import block_problems
from slack_edge.modals import CaseMeta, OfferMeta, encode
from slack_edge.usage import usage_blocks
from storage import outbox as outbox_rows
from tests.conftest import RunningApp, seed_account
from tests.signals.test_signals_webhook import send

PURE = settings(
    max_examples=150, deadline=timedelta(milliseconds=500), derandomize=True, database=None
)
HTTP = settings(
    max_examples=25,
    deadline=timedelta(seconds=10),
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SIGNAL_FIELDS = {
    "account", "kind", "summary", "external_id", "source", "occurred_at", "arr", "details", "body",
}  # fmt: skip
NEW_CASE_BLOCKS = {"account", "kind", "reason", "arr", "renewal"}

# Text people type: words the parser knows, names, quotes (straight and curly), Slack
# escapes and mentions, odd Unicode, and plain noise.
WORDS = st.sampled_from(
    [
        "cancel", "risk", "cases", "report", "help", "mine", "all", "acme", "\"Acme Corp\"",
        "“Ärztehaus Nord”", "Baker &amp; Sons", "<!here>", "<@U0CSM>", "budget", "usage_drop",
        "contact_left", "'", "\"", "“", "&lt;b&gt;", "\u200b", "ß", "*bold*", "`x`",
        "\uff21\uff23\uff2d\uff25",
    ]
)  # fmt: skip
TYPED = st.one_of(
    st.text(max_size=80),
    st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=8).map(" ".join),
    st.builds(lambda w, n: w + " " + "x" * n, WORDS, st.integers(0, 3200)),
)


def unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def failed_deliveries(app: RunningApp) -> list[str]:
    app.tick()
    with app.services.db.read() as session:
        return [f"{r.method}: {r.last_error}" for r in outbox_rows.failed(session, limit=50)]


@PURE
@given(TYPED)
def test_churn_parser_never_raises_and_usage_renders(text: str) -> None:
    parsed = commands.parse(text)
    assert isinstance(
        parsed,
        commands.Help
        | commands.Usage
        | commands.Cancel
        | commands.Risk
        | commands.Cases
        | commands.Report,
    )
    if isinstance(parsed, commands.Usage):
        assert parsed.problem
        assert block_problems(usage_blocks(parsed.problem), 50) == []


@HTTP
@given(text=TYPED)
def test_churn_over_http_answers_usage_a_case_or_a_modal(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    if not hasattr(running_app, "_seeded"):
        seed_account(running_app.services, "acme", "Acme Corp")
        seed_account(running_app.services, "cust-4411", "Ärztehaus Nord")
        running_app._seeded = True  # type: ignore[attr-defined]
    caplog.clear()
    answer = running_app.slack.slash_command(text, user_id="U0CSM")
    assert answer.status == 200
    if answer.body:
        body = answer.json()
        assert body.get("response_type") == "ephemeral" and body.get("text"), body
        assert block_problems(body.get("blocks", []), 50) == []
    assert unhandled(caplog) == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def either(examples: list[Any], other: st.SearchStrategy[Any] = JSON_VALUES) -> Any:
    """Mostly plausible values, sometimes anything."""
    return st.one_of(st.sampled_from(examples), other)


SIGNAL_BODIES = st.one_of(
    st.fixed_dictionaries(
        {
            "account": either(["acme", "new-co", ""], st.text(max_size=300)),
            "kind": either(["cancellation", "usage_drop", "other"]),
            "summary": st.one_of(TYPED, JSON_VALUES),
            "external_id": st.one_of(st.uuids().map(str), st.text(max_size=300), JSON_VALUES),
        },
        optional={
            "source": either(["crm", "mixpanel"]),
            "occurred_at": either(["2026-11-20T09:30:00Z", "yesterday", "2026-02-30"]),
            "arr": either([120000, -1, 1e30, "12,000"]),
            "details": JSON_VALUES,
        },
    ),
    JSON_VALUES,
)


@HTTP
@given(body=st.one_of(SIGNAL_BODIES, st.binary(max_size=200)))
def test_signal_webhook_bodies_get_an_answer_naming_the_field(
    running_app: RunningApp, caplog: pytest.LogCaptureFixture, body: Any
) -> None:
    caplog.clear()
    answer = send(running_app, body)
    assert answer.status in (200, 201, 400), answer.text
    if answer.status == 400:
        error = answer.json()["error"]
        assert error.split(":")[0] in SIGNAL_FIELDS or ": unknown field" in error, error
    assert unhandled(caplog) == []
    assert failed_deliveries(running_app) == []


CELLS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "acme", "Ärztehaus Nord", "1,500,000", "2027-02-30", "U0CSM", "a@b.c"]),
)


@settings(
    PURE,
    max_examples=40,
    deadline=timedelta(seconds=5),
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    rows=st.lists(st.lists(CELLS, max_size=9), max_size=6),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
    noise=st.binary(max_size=20),
)
def test_accounts_csv_never_raises_anything_but_a_file_error(
    services_factory: Any, rows: list[list[str]], encoding: str, noise: bytes
) -> None:
    services, tmp = services_factory
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["external_id", "name", "arr", "segment", "renewal_date", "csm"])
    writer.writerows(rows)
    path = Path(tmp) / "accounts.csv"
    path.write_bytes(out.getvalue().encode(encoding, errors="replace") + noise)
    importer = AccountImporter(services.db, services.directory, services.clock)
    try:
        report = importer.run(path)
    except ImportFileError as err:
        assert str(err).startswith(f"{path}: ")
        return
    for problem in report.problems:
        assert problem.startswith("line "), problem


@pytest.fixture
def services_factory(services: Any, tmp_path: Path) -> tuple[Any, Path]:
    return services, tmp_path


def option(value: Any) -> dict | None:
    return None if value is None else {"text": {"type": "plain_text", "text": "x"}, "value": value}


def state(selected: Any, kind: Any, reason: str, arr: Any, renewal: Any) -> dict:
    return {
        "account": {"account": {"type": "external_select", "selected_option": option(selected)}},
        "kind": {"kind": {"type": "static_select", "selected_option": option(kind)}},
        "reason": {"reason": {"type": "plain_text_input", "value": reason}},
        "arr": {"arr": {"type": "number_input", "value": arr}},
        "renewal": {"renewal": {"type": "datepicker", "selected_date": renewal}},
    }  # fmt: skip


TEXT10 = st.text(max_size=10)


@HTTP
@given(
    selected=st.one_of(st.none(), st.sampled_from(["1", "999999"]), TEXT10),
    kind=st.one_of(st.none(), st.sampled_from(["cancellation", "downgrade"]), TEXT10),
    reason=TYPED,
    arr=st.one_of(st.none(), st.sampled_from(["12000", "-5", "1e30", "1,5"]), TEXT10),
    renewal=st.one_of(st.none(), st.sampled_from(["2027-03-15", "2027-02-30"]), TEXT10),
)
def test_new_case_submissions_get_inline_errors_or_open_a_case(
    running_app: RunningApp,
    caplog: pytest.LogCaptureFixture,
    selected: Any,
    kind: Any,
    reason: str,
    arr: Any,
    renewal: Any,
) -> None:
    if not hasattr(running_app, "_seeded"):
        seed_account(running_app.services, "acme", "Acme Corp")
        running_app._seeded = True  # type: ignore[attr-defined]
    caplog.clear()
    values = state(selected, kind, reason, arr, renewal)
    view_id = f"V{running_app.slack.new_trigger_id()}"
    payload = running_app.slack.view_submission(
        "new_case", values, user_id="U0CSM", view_id=view_id
    )
    answer = running_app.slack.interactive(payload)
    assert answer.status == 200
    if answer.body:
        body = answer.json()
        assert body["response_action"] == "errors", body
        assert set(body["errors"]) <= NEW_CASE_BLOCKS and body["errors"], body
    assert unhandled(caplog) == []
    assert failed_deliveries(running_app) == []


MODALS = {
    "case_reassign_view": ("owner",),
    "case_risk_view": ("risk",),
    "case_note_view": ("note",),
    "case_move_on_view": ("reason", "detail"),
    "case_snooze_view": ("for", "until"),
    "case_remind_view": ("at",),
    "case_remove_csm_view": ("reason",),
    "case_offer_view": ("type", "value", "discount_pct", "duration", "justification", "tried"),
    "offer_counter_view": ("value", "note"),
}
ANY = st.one_of(st.sampled_from(["", "1d", "date", "high", "other", "U0MGR", "2027-02-30"]), TEXT10)
ELEMENT = st.one_of(
    st.builds(lambda v: {"type": "plain_text_input", "value": v}, st.one_of(TYPED, st.none())),
    st.builds(lambda v: {"type": "static_select", "selected_option": option(v)}, ANY),
    st.builds(lambda v: {"type": "radio_buttons", "selected_option": option(v)}, ANY),
    st.builds(lambda v: {"type": "datepicker", "selected_date": v}, ANY),
    st.builds(lambda v: {"type": "users_select", "selected_user": v}, ANY),
    st.builds(lambda v: {"type": "number_input", "value": v}, ANY),
    st.builds(
        lambda v: {"type": "datetimepicker", "selected_date_time": v}, st.integers(-1, 2**40)
    ),
)


@HTTP
@given(
    callback=st.sampled_from(sorted(MODALS)),
    target=st.sampled_from([1, 999]),
    data=st.data(),
)
def test_every_modal_submission_gets_an_inline_error_or_is_saved(
    running_app: RunningApp,
    caplog: pytest.LogCaptureFixture,
    callback: str,
    target: int,
    data: st.DataObject,
) -> None:
    if not hasattr(running_app, "_seeded"):
        account = seed_account(running_app.services, "acme", "Acme Corp")
        running_app.services.cases.open(account, Signal(kind="cancellation", source="fuzz"))
        running_app._seeded = True  # type: ignore[attr-defined]
    caplog.clear()
    blocks = MODALS[callback]
    values = {block: {block: data.draw(ELEMENT)} for block in blocks}
    meta = encode(OfferMeta(target) if callback == "offer_counter_view" else CaseMeta(target))
    view_id = f"V{running_app.slack.new_trigger_id()}"
    slack = running_app.slack
    payload = slack.view_submission(
        callback, {}, user_id="U0AE", view_id=view_id, private_metadata=meta
    )
    payload["view"]["state"]["values"] = values
    answer = slack.interactive(payload)
    assert answer.status == 200
    if answer.body:
        body = answer.json()
        assert body["response_action"] == "errors", body
        assert body["errors"] and set(body["errors"]) <= set(blocks), body
    assert unhandled(caplog) == []
    assert failed_deliveries(running_app) == []
