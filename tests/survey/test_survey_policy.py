"""The survey's policy checks: every malformed `[[survey.reasons]]` entry named by its key
path, and the monthly digest's schedule."""

from __future__ import annotations

import tomllib
from datetime import time

import pytest

from bot.survey.policy import (
    MonthlySchedule,
    ReasonSpec,
    SurveyPolicyError,
    check_survey,
    parse_reason_digest,
)


def _check(toml: str) -> tuple[object, list[str]]:
    reasons, problems = check_survey(tomllib.loads(toml).get("survey", {}))
    return reasons, [str(p) for p in problems]


GOOD = """
[[survey.reasons]]
key = "missing_functionality"
label = "Missing functionality"
owner = "C0PRODUCT"
hint = "A capability they needed and we do not have"
[[survey.reasons]]
key = "champion_left"
label = "Champion left, nobody took over"
owner = "@cs-leads"
[[survey.reasons]]
key = "price_value"
label = "Price too high for the value"
owner = "pricing@example.com"
"""


def test_a_good_taxonomy_has_no_problems() -> None:
    reasons, problems = _check(GOOD)
    assert problems == []
    assert reasons == (
        ReasonSpec(
            "missing_functionality",
            "Missing functionality",
            "C0PRODUCT",
            "A capability they needed and we do not have",
        ),
        ReasonSpec("champion_left", "Champion left, nobody took over", "@cs-leads"),
        ReasonSpec("price_value", "Price too high for the value", "pricing@example.com"),
    )


def test_no_reasons_means_the_built_in_taxonomy() -> None:
    assert check_survey({}) == (None, [])


def test_each_malformed_entry_is_named_by_its_key_path() -> None:
    _reasons, problems = _check(
        """
[[survey.reasons]]
label = "No key"
owner = "C0PRODUCT"
[[survey.reasons]]
key = "no_label"
owner = "C0PRODUCT"
[[survey.reasons]]
key = "no_owner"
label = "No owner"
[[survey.reasons]]
key = "bad_owner"
label = "Bad owner"
owner = "product team"
[[survey.reasons]]
key = "no_owner"
label = "Duplicate key"
owner = "U0PM"
[[survey.reasons]]
key = "lost_to_competitor"
label = "Lost to a competitor"
owner = "C0SALES"
[[survey.reasons]]
key = "long_hint"
label = "Long hint"
owner = "C0PRODUCT"
hint = "%s"
[[survey.reasons]]
key = "Bad Key"
label = "Typo"
ownr = "C0PRODUCT"
"""
        % ("x" * 80)
    )
    assert problems == [
        "survey.reasons[0].key: missing (a snake_case name like price_value)",
        "survey.reasons[1].label: missing (the words people pick in the survey)",
        "survey.reasons[2].owner: missing (use a channel ID like C0123, a Slack user ID like "
        "U0123, an email, or @group: the function that owns this root cause)",
        'survey.reasons[3].owner: "product team" is not a channel, a person or a group (use a '
        "channel ID like C0123, a Slack user ID like U0123, an email, or @group: the function "
        "that owns this root cause)",
        'survey.reasons[5].key: "lost_to_competitor" is not a root cause: the survey asks for '
        "the competitor separately; record why they moved (e.g. missing_functionality, "
        "price_value)",
        'survey.reasons[5].label: "Lost to a competitor" is not a root cause: the survey asks '
        "for the competitor separately; record why they moved (e.g. missing_functionality, "
        "price_value)",
        "survey.reasons[6].hint: is 80 characters (Slack shows at most 75)",
        "survey.reasons[7].ownr: unknown key (did you mean owner?)",
        "survey.reasons[7].owner: missing (use a channel ID like C0123, a Slack user ID like "
        "U0123, an email, or @group: the function that owns this root cause)",
        'survey.reasons[7].key: "Bad Key" is not snake_case (like price_value)',
        'survey.reasons[4].key: "no_owner" is used twice (also survey.reasons[2])',
    ]


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        (
            "[survey]\nreasons = []",
            "survey.reasons: is empty (the survey needs at least one root cause)",
        ),
        (
            '[survey]\nreasons = "price"',
            "survey.reasons: expected a list of [[survey.reasons]] tables",
        ),
        ("[survey]\nreason = []", "survey.reason: unknown key (did you mean reasons?)"),
        (
            '[[survey.reasons]]\nkey = "a"\nlabel = "A"\nowner = "C0X"\n'
            '[[survey.reasons]]\nkey = "b"\nlabel = " a "\nowner = "C0X"',
            'survey.reasons[1].label: " a " is used twice (also survey.reasons[0])',
        ),
        (
            '[[survey.reasons]]\nkey = "a"\nlabel = "A"\nowner = 7',
            "survey.reasons[0].owner: expected a string",
        ),
    ],
)
def test_other_malformed_tables(toml: str, expected: str) -> None:
    assert expected in _check(toml)[1]


def test_competence_is_not_mistaken_for_a_competitor() -> None:
    _reasons, problems = _check(
        '[[survey.reasons]]\nkey = "skills_gap"\nlabel = "No internal competence"\nowner = "C0X"'
    )
    assert problems == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1st 09:00", MonthlySchedule(1, time(9, 0))),
        ("2nd 8:30", MonthlySchedule(2, time(8, 30))),
        ("15 17:05", MonthlySchedule(15, time(17, 5))),
        ("28th 23:59", MonthlySchedule(28, time(23, 59))),
        ("", None),
    ],
)
def test_reason_digest_schedule(text: str, expected: MonthlySchedule | None) -> None:
    assert parse_reason_digest(text) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("mon 09:00", 'reports.reason_digest: "mon 09:00" is not a monthly time'),
        ("31st 09:00", 'reports.reason_digest: "31st 09:00": use a day from 1st to 28th'),
        ("1st 25:00", 'reports.reason_digest: "1st 25:00" is not a time of day'),
        (1, "reports.reason_digest: expected a string"),
    ],
)
def test_bad_reason_digest_schedule_names_the_key(value: object, message: str) -> None:
    with pytest.raises(SurveyPolicyError) as err:
        parse_reason_digest(value)
    assert str(err.value).startswith(message)
    assert err.value.problem.path == "reports.reason_digest"


def test_schedule_reads_back() -> None:
    assert str(MonthlySchedule(1, time(9))) == "1st 09:00"
    assert str(MonthlySchedule(22, time(9))) == "22nd 09:00"
    assert str(MonthlySchedule(11, time(9))) == "11th 09:00"
