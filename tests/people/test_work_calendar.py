"""Each person's working calendar (bot/hours/calendar.py): the maths behind "a nudge lands
at the start of their next working window" and "the escalation clock counts the owner's
working time", with properties over random windows, zones and moments, and DST changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.hours.calendar import WorkCalendar
from bot.hours.window import parse_days, parse_window, show_window

ZONES = ["Pacific/Auckland", "America/New_York", "Europe/London", "Asia/Kolkata", "UTC"]
NY = ZoneInfo("America/New_York")
AKL = ZoneInfo("Pacific/Auckland")


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    start = draw(st.integers(0, 22 * 4)) * 15
    length = draw(st.integers(1, (24 * 60 - start) // 15 - 1)) * 15
    opens = time(start // 60, start % 60)
    end = start + length
    closes = time(end // 60, end % 60)
    days = draw(st.frozensets(st.integers(0, 6), min_size=1))
    return WorkCalendar(ZoneInfo(draw(st.sampled_from(ZONES))), (opens, closes), days)


moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
delays = st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m))


@settings(max_examples=200, deadline=None)
@given(calendars(), moments)
def test_next_open_is_open_and_nothing_earlier_is(cal: WorkCalendar, when: datetime) -> None:
    opens = cal.next_open(when)
    assert opens >= when and cal.is_open(opens)
    if opens > when:  # closed in between: the minute before the opening is closed
        assert not cal.is_open(max(when, opens - timedelta(minutes=1)))


@settings(max_examples=200, deadline=None)
@given(calendars(), moments, delays)
def test_add_working_lands_open_and_counts_that_much_working_time(
    cal: WorkCalendar, when: datetime, delay: timedelta
) -> None:
    due = cal.add_working(when, delay)
    assert cal.is_open(due) and due >= when
    assert cal.working_time(when, due) == cal.as_working(delay)  # a day: a window's length
    if delay < timedelta(days=1):  # below a day, exactly `delay` of the window passes
        assert cal.as_working(delay) == delay


@settings(max_examples=100, deadline=None)
@given(calendars(), moments, delays, delays)
def test_add_working_never_goes_back_in_time(
    cal: WorkCalendar, when: datetime, a: timedelta, b: timedelta
) -> None:
    short, long = sorted((a, b), key=cal.as_working)  # more working time, never earlier
    assert cal.add_working(when, short) <= cal.add_working(when, long)


def test_friday_afternoon_plus_four_working_hours_is_monday_late_morning() -> None:
    cal = WorkCalendar(NY, (time(9), time(17)))
    friday_3pm = datetime(2026, 11, 27, 15, tzinfo=NY)
    assert cal.add_working(friday_3pm, timedelta(hours=4)) == datetime(2026, 11, 30, 11, tzinfo=NY)
    assert cal.add_working(friday_3pm, timedelta(days=1)) == datetime(2026, 11, 30, 15, tzinfo=NY)


def test_dst_start_keeps_the_wall_clock_opening() -> None:
    """New York springs forward on 8 March 2026: 09:00 is 14:00 UTC before, 13:00 after."""
    cal = WorkCalendar(NY, (time(9), time(17)))
    saturday = datetime(2026, 3, 7, 12, tzinfo=UTC)
    assert cal.next_open(saturday) == datetime(2026, 3, 9, 13, tzinfo=UTC)
    friday_4pm = datetime(2026, 3, 6, 16, tzinfo=NY)
    assert cal.add_working(friday_4pm, timedelta(hours=2)) == datetime(2026, 3, 9, 10, tzinfo=NY)


def test_dst_end_in_auckland_and_a_window_through_the_skipped_hour() -> None:
    """Auckland falls back on 5 April 2026 (03:00 → 02:00); a 02:30 opening on the day New
    York skips 02:00-03:00 counts an hour on."""
    cal = WorkCalendar(AKL, (time(9), time(17)), frozenset(range(7)))
    before = datetime(2026, 4, 4, 20, tzinfo=UTC)  # Sunday 09:00 NZDT
    assert cal.next_open(before) == datetime(2026, 4, 5, 9, tzinfo=AKL)
    assert cal.add_working(datetime(2026, 4, 4, 16, tzinfo=AKL), timedelta(days=1)) == datetime(
        2026, 4, 5, 16, tzinfo=AKL
    )
    night = WorkCalendar(NY, (time(2, 30), time(4)), frozenset(range(7)))
    opens = night.next_open(datetime(2026, 3, 8, 5, tzinfo=UTC))  # 00:00 EST
    assert opens == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_windows_as_people_type_them() -> None:
    assert parse_window("08:00-16:00") == (time(8), time(16))
    assert parse_window("16:00-08:00") is None and parse_window("8-16") is None
    assert parse_days("mon-thu") == frozenset({0, 1, 2, 3})
    assert parse_days("sat-mon") == frozenset({5, 6, 0})
    assert parse_days("mon,wed,fri") == frozenset({0, 2, 4})
    assert parse_days("someday") is None
    assert show_window((time(8), time(16)), frozenset({0, 1, 2, 3})) == "08:00-16:00 mon-thu"
    assert show_window(None, frozenset()) == "any time"


def test_a_window_that_dst_skips_whole_is_closed_that_day() -> None:
    """Found by Hypothesis: in Auckland clocks go from 02:00 to 03:00 on 27 September 2026,
    so a 02:45-03:00 Sunday window does not exist that day (it opened after it closed)."""
    cal = WorkCalendar(ZoneInfo("Pacific/Auckland"), (time(2, 45), time(3, 0)), frozenset([6]))
    before = datetime(2026, 9, 26, 12, 0, tzinfo=UTC)  # Sunday 00:00 NZST
    opens = cal.next_open(before)
    assert opens == datetime(2026, 10, 3, 13, 45, tzinfo=UTC)  # the next Sunday, 02:45 NZDT
    assert cal.is_open(opens) and cal.closing(opens) == opens + timedelta(minutes=15)
    assert cal.add_working(before, timedelta(minutes=5)) == opens + timedelta(minutes=5)
