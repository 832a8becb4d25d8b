"""The business calendar: a nudge due at night waits for the next opening, DST included."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.common.calendar import add_business_delay, is_open, next_open
from bot.policy import Policy, parse_policy

NY = ZoneInfo("America/New_York")


def make_policy(
    hours: str = "09:00-17:00", days: str = '"mon", "tue", "wed", "thu", "fri"'
) -> Policy:
    toml = f'timezone = "America/New_York"\nbusiness_hours = "{hours}"\nbusiness_days = [{days}]\n'
    return parse_policy(toml, "calendar-test.toml")


def ny(*args: int) -> datetime:
    """A New York wall-clock time, as the UTC instant the functions take."""
    return datetime(*args, tzinfo=NY).astimezone(UTC)  # type: ignore[misc]


def test_friday_night_waits_for_monday_opening() -> None:
    friday_night = ny(2026, 1, 9, 22, 0)
    assert friday_night == datetime(2026, 1, 10, 3, 0, tzinfo=UTC)
    assert next_open(friday_night, make_policy()) == ny(2026, 1, 12, 9, 0)
    assert next_open(friday_night, make_policy()) == datetime(2026, 1, 12, 14, 0, tzinfo=UTC)


def test_inside_business_hours_is_unchanged() -> None:
    tuesday = ny(2026, 1, 6, 11, 37, 12)
    assert next_open(tuesday, make_policy()) == tuesday
    assert is_open(tuesday, make_policy())


def test_opening_is_inclusive_and_closing_exclusive() -> None:
    policy = make_policy()
    assert next_open(ny(2026, 1, 6, 9, 0), policy) == ny(2026, 1, 6, 9, 0)
    assert next_open(ny(2026, 1, 6, 17, 0), policy) == ny(2026, 1, 7, 9, 0)


def test_before_opening_waits_until_same_day_opening() -> None:
    assert next_open(ny(2026, 1, 7, 6, 15), make_policy()) == ny(2026, 1, 7, 9, 0)


def test_weekend_waits_for_next_business_day() -> None:
    saturday_noon = ny(2026, 1, 10, 12, 0)
    assert not is_open(saturday_noon, make_policy())
    assert next_open(saturday_noon, make_policy()) == ny(2026, 1, 12, 9, 0)
    weekend_only = make_policy(days='"sat", "sun"')
    assert next_open(ny(2026, 1, 9, 12, 0), weekend_only) == ny(2026, 1, 10, 9, 0)


def test_calendar_off_leaves_time_unchanged(policy: Policy) -> None:
    assert policy.business_hours is None  # the test policy says business_hours = ""
    sunday_3am = ny(2026, 1, 11, 3, 0)
    assert next_open(sunday_3am, policy) == sunday_3am
    assert add_business_delay(sunday_3am, timedelta(hours=4), policy) == ny(2026, 1, 11, 7, 0)


def test_spring_forward_weekend_opens_at_local_nine() -> None:
    # DST starts Sunday 2026-03-08: Friday's opening is 14:00 UTC, Monday's 13:00 UTC.
    friday_night = ny(2026, 3, 6, 22, 0)
    monday = next_open(friday_night, make_policy())
    assert monday == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert monday.astimezone(NY).hour == 9


def test_fall_back_weekend_opens_at_local_nine() -> None:
    # DST ends Sunday 2026-11-01: Friday's opening is 13:00 UTC, Monday's 14:00 UTC.
    friday_night = ny(2026, 10, 30, 22, 0)
    monday = next_open(friday_night, make_policy())
    assert monday == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)
    assert monday.astimezone(NY).hour == 9


def test_opening_on_the_night_of_the_change() -> None:
    every_day = '"mon", "tue", "wed", "thu", "fri", "sat", "sun"'
    early = make_policy(hours="03:00-05:00", days=every_day)
    one_thirty_est = datetime(
        2026, 3, 8, 6, 30, tzinfo=UTC
    )  # 01:30 EST, 30 real minutes to 03:00 EDT
    assert next_open(one_thirty_est, early) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    three_thirty_edt = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    assert next_open(three_thirty_edt, early) == three_thirty_edt


def test_delay_is_elapsed_time_and_only_the_landing_moves() -> None:
    policy = make_policy()
    friday_four_pm = ny(2026, 1, 9, 16, 0)
    assert add_business_delay(friday_four_pm, timedelta(hours=4), policy) == ny(2026, 1, 12, 9, 0)
    monday_ten = ny(2026, 1, 12, 10, 0)
    assert add_business_delay(monday_ten, timedelta(hours=4), policy) == ny(2026, 1, 12, 14, 0)
    # 1d is 24 hours: across the spring-forward night the local time moves by an hour.
    saturday_noon = ny(2026, 3, 7, 12, 0)
    always = make_policy(hours="00:00-23:59", days='"sat", "sun"')
    assert add_business_delay(saturday_noon, timedelta(days=1), always) == ny(2026, 3, 8, 13, 0)


def test_result_is_utc_and_naive_input_is_refused() -> None:
    local_input = datetime(2026, 1, 6, 11, 0, tzinfo=NY)
    result = next_open(local_input, make_policy())
    assert result.tzinfo is UTC and result == local_input
    with pytest.raises(ValueError, match="naive"):
        next_open(datetime(2026, 1, 6, 11, 0), make_policy())
