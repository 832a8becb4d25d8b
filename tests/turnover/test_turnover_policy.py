"""`[[turnover.plans]]`: valid entries parse, and every mistake is named by its key path."""

from __future__ import annotations

import tomllib
from decimal import Decimal

import pytest

from bot.turnover.policy import (
    TurnoverPolicy,
    TurnoverPolicyError,
    describe_turnover_policy,
    parse_turnover_policy,
)

EXAMPLE = """
[[turnover.plans]]
segment = ["enterprise", "strategic"]
min_arr = 100000
steps = [
  "Executive sponsor call with the new decision maker",
  { key = "qbr", text = "Business review within 30 days", assignee = "account_owner" },
]

[[turnover.plans]]
max_arr = 10000.5
replacement = "external_new"
steps = ["Send the self-serve onboarding guide"]
"""


def parse(text: str) -> TurnoverPolicy:
    return parse_turnover_policy(tomllib.loads(text).get("turnover", {}))


def test_the_example_parses_and_describes_itself() -> None:
    policy = parse(EXAMPLE)
    first, second = policy.plans
    assert first.segments == ("enterprise", "strategic")
    assert first.min_arr == Decimal(100000)
    assert [s.key for s in first.steps][1] == "policy_qbr"
    assert first.steps[1].assignee == "account_owner"
    assert second.max_arr == Decimal("10000.5")
    assert second.answers == {"replacement": frozenset({"external_new"})}
    assert describe_turnover_policy(policy)[1:] == [
        "  1. segment enterprise or strategic, ARR >= 100000: +2 steps",
        "  2. ARR <= 10000.5, replacement external_new: +1 step",
    ]
    assert describe_turnover_policy(TurnoverPolicy()) == ["Turnover plans: built-in steps only"]


def test_a_step_key_from_text_is_stable_and_differs_per_text() -> None:
    a = parse('[[turnover.plans]]\nsteps = ["Call the CFO", "Call the CEO"]')
    b = parse('[[turnover.plans]]\nmin_arr = 5\nsteps = ["Call the CFO"]')
    assert a.plans[0].steps[0].key == b.plans[0].steps[0].key
    assert a.plans[0].steps[0].key != a.plans[0].steps[1].key
    assert all(len(s.key) <= 64 for s in a.plans[0].steps)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("turnover = 3", "turnover: expected a table ([turnover])"),
        ("[turnover]\nplan = []", "turnover.plan: unknown key (did you mean plans?)"),
        ("[turnover]\nplans = 1", "turnover.plans: expected a list of [[turnover.plans]] tables"),
        (
            "[[turnover.plans]]\nmin_arr = 5",
            'turnover.plans[0].steps: missing (a list of steps, like ["Executive sponsor call"])',
        ),
        ("[[turnover.plans]]\nsteps = []", "turnover.plans[0].steps: is empty"),
        (
            '[[turnover.plans]]\nsteps = ["a"]\n'
            '[[turnover.plans]]\nmin_arr = "lots"\nsteps = ["b"]',
            "turnover.plans[1].min_arr: expected a number",
        ),
        (
            '[[turnover.plans]]\nmin_arr = 10\nmax_arr = 5\nsteps = ["a"]',
            "turnover.plans[0].max_arr: must not be below min_arr",
        ),
        (
            '[[turnover.plans]]\nmax_arr = -1\nsteps = ["a"]',
            "turnover.plans[0].max_arr: -1 must not be negative",
        ),
        (
            '[[turnover.plans]]\nsegmnt = "smb"\nsteps = ["a"]',
            "turnover.plans[0].segmnt: unknown key (did you mean segment?)",
        ),
        ('[[turnover.plans]]\nsegment = [""]\nsteps = ["a"]', "turnover.plans[0].segment: needs"),
        (
            '[[turnover.plans]]\nreplacement = ["internal", "outsider"]\nsteps = ["a"]',
            'turnover.plans[0].replacement[1]: "outsider" is not a replacement answer (use unknown',
        ),
        (
            '[[turnover.plans]]\ncoverage = "some"\nsteps = ["a"]',
            'turnover.plans[0].coverage: "some" is not a coverage answer',
        ),
        ("[[turnover.plans]]\nsteps = [3]", "turnover.plans[0].steps[0]: expected a step"),
        (
            "[[turnover.plans]]\nsteps = [{ assignee = 'csm' }]",
            "turnover.plans[0].steps[0].text: missing (what to do, as text)",
        ),
        (
            '[[turnover.plans]]\nsteps = [{ text = "  " }]',
            "turnover.plans[0].steps[0].text: expected what to do, as text",
        ),
        (
            '[[turnover.plans]]\nsteps = [{ text = "a", assignee = "boss" }]',
            'turnover.plans[0].steps[0].assignee: "boss" is not an assignee (use owner, csm',
        ),
        (
            '[[turnover.plans]]\nsteps = [{ text = "a", key = "Big Key" }]',
            'turnover.plans[0].steps[0].key: "Big Key" is not a step key',
        ),
        (
            '[[turnover.plans]]\nsteps = [{ text = "a", colour = "red" }]',
            "turnover.plans[0].steps[0].colour: unknown key (use text, key, assignee)",
        ),
        ('[[turnover.plans]]\nsteps = ["a", "a"]', "turnover.plans[0].steps[1]: repeats"),
    ],
)
def test_mistakes_are_named_by_key_path(toml: str, message: str) -> None:
    with pytest.raises(TurnoverPolicyError) as caught:
        parse(toml)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
    assert str(caught.value) == f"{caught.value.where}: {caught.value.message}"


def test_no_turnover_table_is_the_built_in_plan() -> None:
    assert parse("") == TurnoverPolicy()
    assert parse("[turnover]") == TurnoverPolicy()
