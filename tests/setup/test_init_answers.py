"""The first-run wizard's readers (bot.setup.answers), one answer at a time: what is taken,
what is asked again and the hint given (docs/cli.md, `python app.py init`)."""

from __future__ import annotations

import pytest

from bot.setup.answers import BadAnswer, currency, manifest_origin, timezone


@pytest.mark.parametrize(
    ("typed", "taken"),
    [
        ("America/New_York", "America/New_York"),
        ("europe/paris", "Europe/Paris"),  # capitals forgiven when the name is exact
        ("utc", "UTC"),
        ("  Asia/Kolkata ", "Asia/Kolkata"),
    ],
)
def test_a_city_zone_is_taken(typed: str, taken: str) -> None:
    assert timezone(typed) == taken


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("EST", "America/New_York"),  # a fixed UTC-5: New York in winter only
        ("pst", "America/Los_Angeles"),
        ("CET", "Europe/Paris"),
    ],
)
def test_an_abbreviation_is_asked_again_with_the_city_it_means(typed: str, meant: str) -> None:
    with pytest.raises(BadAnswer, match="not a city's zone") as refused:
        timezone(typed)
    assert f"(did you mean {meant}?)" in str(refused.value)


def test_a_fixed_offset_is_refused_and_never_offered() -> None:
    """Etc/GMT+1 is an hour *behind* UTC: offering it for "GMT+1" was two hours off."""
    with pytest.raises(BadAnswer, match="not a city's zone"):
        timezone("Etc/GMT+1")
    with pytest.raises(BadAnswer) as refused:
        timezone("GMT+1")
    assert "Etc/" not in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "hint"),
    [("new york", "America/New_York"), ("los angeles", "America/Los_Angeles")],
)
def test_a_city_typed_with_spaces_gets_its_zone_as_a_hint(typed: str, hint: str) -> None:
    with pytest.raises(BadAnswer) as refused:
        timezone(typed)
    assert f"did you mean {hint}?" in str(refused.value)


def test_one_letter_gets_no_list_of_unrelated_zones() -> None:
    with pytest.raises(BadAnswer) as refused:
        timezone("Z")
    assert "did you mean" not in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("https://YOUR-HOST", "YOUR-HOST stands for the public host"),  # copied from README
        ("savedesk.example.com", "needs its scheme: https://savedesk.example.com"),
        ("https://localhost:3000", "Slack cannot reach localhost"),
        ("https://my host", "'my host' is not a host name"),
        ("https://savedesk.example.com:99999", "has a port that is not one (1-65535)"),
    ],
)
def test_a_manifest_host_slack_could_not_reach_is_refused(typed: str, said: str) -> None:
    with pytest.raises(BadAnswer, match=r"^--manifest: ") as refused:
        manifest_origin(typed)
    assert said in str(refused.value)


@pytest.mark.parametrize(
    ("typed", "origin"),
    [
        ("https://savedesk.example.com/", "https://savedesk.example.com"),
        ("https://savedesk.example.com:8443", "https://savedesk.example.com:8443"),
        ("https://[2001:db8::1]", "https://[2001:db8::1]"),
    ],
)
def test_a_public_https_host_is_taken(typed: str, origin: str) -> None:
    assert manifest_origin(typed) == origin


@pytest.mark.parametrize(("typed", "taken"), [("eur", "EUR"), (" JPY ", "JPY"), ("Kwd", "KWD")])
def test_an_iso_4217_currency_is_taken_in_capitals(typed: str, taken: str) -> None:
    assert currency(typed) == taken


@pytest.mark.parametrize("typed", ["UDS", "EOR", "ABC", "dollars", "€", "US"])
def test_three_letters_that_are_no_currency_are_asked_again(typed: str) -> None:
    """Three letters used to be enough: "UDS" then showed on every amount of the report."""
    with pytest.raises(BadAnswer, match="is not an ISO 4217 currency code like USD or EUR"):
        currency(typed)
