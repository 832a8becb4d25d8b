"""Routing: who owns a new case, rule by rule, through CaseService.open.

One policy exercises every rule kind; each row of the table opens a case on its own account
and checks the owner, so a row also proves every earlier rule did not match.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from bot.cases.models import Signal
from bot.cases.routing import AccountFacts, pick_by_load, route
from bot.common.clock import FakeClock
from bot.people.team import Team
from bot.policy import parse_policy
from bot.runtime.services import Services
from demo.standin import SlackStandin
from storage.models import Case, CaseEvent
from tests.conftest import TEST_POLICY, seed_account, with_policy

ROUTING = """
[[routing]]
kinds = ["payment_failed"]
owner = "finance"
[[routing]]
kinds = ["cancellation", "non_renewal"]
min_arr = 50000
owner = "save_desk"
[[routing]]
kinds = ["downgrade"]
max_arr = 1000
owner = "manager"
[[routing]]
segment = "enterprise"
owner = "U0NAMED"
[[routing]]
kinds = ["usage_drop"]
segment = ["smb", "startup"]
owner = "ops@example.com"
[[routing]]
kinds = ["competitor"]
owner = "@oncall"
[[routing]]
kinds = ["contact_left"]
owner = "nobody@example.com"
[[routing]]
kinds = ["cancellation", "non_renewal", "downgrade"]
owner = "account_owner"
[[routing]]
owner = "csm"
"""
POLICY_TEXT = TEST_POLICY + ROUTING
EMPTY_ROLES_POLICY = """
business_hours = ""
[channels]
cases = "C0CASES"
[roles]
managers = {managers}
[[routing]]
kinds = ["payment_failed"]
owner = "finance"
[[routing]]
owner = "csm"
"""
SAVE_DESK = ("U0SAVE1", "U0SAVE2", "U0SAVE3")


@dataclass(frozen=True)
class Row:
    """One routing scenario: the account, the signal, and who should own the case."""

    why: str
    kind: str
    owner: str | None
    arr: Decimal | None = Decimal(20000)
    segment: str | None = None
    signal_arr: Decimal | None = None
    csm: str | None = "U0CSM"
    account_owner: str | None = "U0AE"


TABLE = [
    Row("kinds: payment_failed -> finance", "payment_failed", "U0FIN"),
    Row("first match wins over segment", "payment_failed", "U0FIN", segment="enterprise"),
    Row("min_arr met -> save desk", "cancellation", "U0SAVE1", arr=Decimal(60000)),
    Row("min_arr is inclusive", "non_renewal", "U0SAVE1", arr=Decimal(50000)),
    Row("below min_arr -> next rule", "cancellation", "U0AE", arr=Decimal("49999.99")),
    Row("unknown ARR never meets min_arr", "cancellation", "U0AE", arr=None),
    Row(
        "the signal's ARR beats the account's", "cancellation", "U0SAVE1", signal_arr=Decimal(70000)
    ),
    Row("max_arr is inclusive -> manager", "downgrade", "U0MGR", arr=Decimal(1000)),
    Row("above max_arr -> next rule", "downgrade", "U0AE", arr=Decimal(1001)),
    Row("unknown ARR never meets max_arr", "downgrade", "U0AE", arr=None),
    Row("segment -> a named person", "usage_drop", "U0NAMED", segment="enterprise"),
    Row("segment matches case-insensitively", "budget_cut", "U0NAMED", segment="Enterprise"),
    Row("save desk before segment", "cancellation", "U0SAVE1", Decimal(90000), "enterprise"),
    Row("segment list + kind -> email person", "usage_drop", "U0EMAIL", segment="startup"),
    Row("kind matches, segment does not", "usage_drop", "U0CSM", segment="midmarket"),
    Row("no segment never meets a segment rule", "usage_drop", "U0CSM"),
    Row("@group -> a member", "competitor", "U0ON1"),
    Row("account_owner", "downgrade", "U0AE", arr=Decimal(5000)),
    Row("catch-all -> csm", "negative_feedback", "U0CSM"),
    Row("no account owner -> the CSM", "non_renewal", "U0CSM", account_owner=None),
    Row("email nobody has -> the CSM", "contact_left", "U0CSM"),
    Row("no CSM on a csm rule -> a manager", "other", "U0MGR", csm=None),
    Row("no owner, no CSM -> a manager", "cancellation", "U0MGR", csm=None, account_owner=None),
]


@pytest.fixture
def routed(services: Services, standin: SlackStandin) -> Iterator[Services]:
    """Services under the routing table, with the people Slack knows about."""
    standin.add_user("U0EMAIL", email="ops@example.com")
    standin.add_usergroup("S0ONCALL", "oncall", ["U0ON1", "U0ON2"])
    built = with_policy(services, POLICY_TEXT)
    yield built
    built.db.dispose()


def open_on(services: Services, external_id: str, kind: str, **account: Any) -> Case:
    """Seed an account, open a case of `kind` on it, and return the case."""
    signal_arr = account.pop("signal_arr", None)
    account_id = seed_account(services, external_id, external_id.title(), **account)
    signal = Signal(kind=kind, source="test", actor="U0REPORTER", arr=signal_arr)
    opened = services.cases.open(account_id, signal)
    assert opened.created
    with services.db.session() as session:
        case = session.get(Case, opened.case_id)
        assert case is not None
        return case


def timeline(services: Services, case_id: int, type: str) -> list[str]:
    with services.db.session() as session:
        stmt = select(CaseEvent.text).where(CaseEvent.case_id == case_id, CaseEvent.type == type)
        return list(session.scalars(stmt.order_by(CaseEvent.id)))


@pytest.mark.parametrize("row", TABLE, ids=[row.why for row in TABLE])
def test_routing_table(routed: Services, row: Row) -> None:
    facts = {"arr": row.arr, "segment": row.segment, "csm": row.csm}
    case = open_on(
        routed,
        "acct",
        row.kind,
        **facts,
        account_owner=row.account_owner,
        signal_arr=row.signal_arr,
    )
    assert case.owner == row.owner, row.why
    assert case.assigned_at is not None


def test_the_thread_says_which_rule_and_why_it_fell_back(
    routed: Services, standin: SlackStandin
) -> None:
    direct = open_on(routed, "big", "cancellation", arr=Decimal(80000))
    opened = timeline(routed, direct.id, "opened")[0]
    assert "(routed to the save desk: cancellation or non-renewal, ARR $50,000 or more)." in opened
    assert "save_desk" not in opened
    assert timeline(routed, direct.id, "routing") == []

    to_csm = open_on(routed, "gone", "contact_left")
    assert timeline(routed, to_csm.id, "routing") == [
        "Routing: nobody holds `nobody@example.com`, so the account's CSM owns it."
    ]
    to_manager = open_on(
        routed, "orphan", "non_renewal", arr=Decimal(1000), csm=None, account_owner=None
    )
    assert timeline(routed, to_manager.id, "routing") == [
        "Routing: nobody holds `account_owner` and the account has no CSM, so a manager owns it."
    ]
    routed.tick()
    thread = [m["text"] for m in standin.messages("C0CASES") if m.get("thread_ts")]
    assert any("so the account's CSM owns it" in text for text in thread)
    assert any("so a manager owns it" in text for text in thread)


@pytest.mark.parametrize("managers", ['["U0MGR"]', "[]"])
def test_an_empty_role_falls_back_to_the_csm_then_a_manager_then_nobody(
    services: Services, managers: str
) -> None:
    empty = with_policy(services, EMPTY_ROLES_POLICY.format(managers=managers))
    try:
        to_csm = open_on(empty, "paying", "payment_failed")
        assert to_csm.owner == "U0CSM"
        assert timeline(empty, to_csm.id, "routing") == [
            "Routing: nobody holds `finance`, so the account's CSM owns it."
        ]
        orphan = open_on(empty, "orphan", "payment_failed", csm=None)
        if managers == "[]":
            assert (orphan.owner, orphan.assigned_at) == (None, None)
            assert timeline(empty, orphan.id, "routing") == [
                "Routing: nobody holds `finance`, the account has no CSM and no managers are set."
            ]
            assert "owner _nobody_" in timeline(empty, orphan.id, "opened")[0]
        else:
            assert orphan.owner == "U0MGR"
    finally:
        empty.db.dispose()


def test_the_save_desk_pool_spreads_ten_cases_as_4_3_3(routed: Services) -> None:
    clock = routed.clock
    assert isinstance(clock, FakeClock)
    owners = []
    for n in range(10):
        clock.advance(timedelta(minutes=1))
        owners.append(open_on(routed, f"big{n}", "cancellation", arr=Decimal(50000 + n)).owner)
    assert owners == [*SAVE_DESK, *SAVE_DESK, *SAVE_DESK, "U0SAVE1"]
    assert Counter(owners) == {"U0SAVE1": 4, "U0SAVE2": 3, "U0SAVE3": 3}


def test_the_save_desk_pool_counts_open_cases_only(routed: Services) -> None:
    clock = routed.clock
    assert isinstance(clock, FakeClock)
    cases = []
    for n in range(6):  # two each
        clock.advance(timedelta(minutes=1))
        cases.append(open_on(routed, f"big{n}", "cancellation", arr=Decimal(60000)))
    for case in cases:
        if case.owner == "U0SAVE3":
            routed.cases.close(case.id, "U0MGR", "saved")
    clock.advance(timedelta(minutes=1))
    assert open_on(routed, "next", "cancellation", arr=Decimal(60000)).owner == "U0SAVE3"


# -- bot.cases.routing directly: the tie-breaks, without a database -----------------------------


def at(minute: int) -> datetime:
    return datetime(2026, 1, 5, 14, minute, tzinfo=UTC)


def test_pick_by_load_prefers_fewest_open_then_least_recently_assigned() -> None:
    pool = ("A", "B", "C")
    assert pick_by_load(pool, {}) == "A"
    assert pick_by_load(pool, {"A": (1, at(1)), "B": (0, None), "C": (0, None)}) == "B"
    assert pick_by_load(pool, {"A": (1, at(3)), "B": (1, at(1)), "C": (1, at(2))}) == "B"
    assert pick_by_load(pool, {"A": (2, at(0)), "B": (1, at(5)), "C": (1, None)}) == "C"
    assert pick_by_load((), {}) is None


def test_route_resolves_people_and_groups_through_the_callback() -> None:
    policy = parse_policy(POLICY_TEXT, "test-policy.toml")
    team = Team({"managers": ("U0MGR",), "save_desk": SAVE_DESK, "finance": ("U0FIN",)})
    facts = AccountFacts(csm="U0CSM", account_owner="U0AE", segment=None)
    groups = {"@oncall": ("U0ON1", "U0ON2")}
    load = {"U0ON1": (3, at(1)), "U0ON2": (1, at(2))}
    routed = route(
        policy,
        team,
        facts,
        "competitor",
        None,
        lambda pool: {p: load.get(p, (0, None)) for p in pool},
        lambda ref: groups.get(ref, ()),
    )
    assert (routed.owner, routed.rule, routed.note) == ("U0ON2", "@oncall", None)
