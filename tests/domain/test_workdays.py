"""Working days with China's holiday and make-up-workday calendar, and the fallback outside it."""

from datetime import date, datetime, timedelta

import chinese_calendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain.workdays import (
    add_workdays,
    calendar_covers,
    is_workday,
    workdays_between,
)

D = date.fromisoformat


@pytest.mark.parametrize(
    "day",
    # National Day and Mid-Autumn 2020: Thursday 1 Oct to Thursday 8 Oct.
    [f"2020-10-0{n}" for n in range(1, 9)]
    # Spring Festival 2020, extended to 2 February (so Saturday 1 February was not worked).
    + ["2020-01-24", "2020-01-27", "2020-01-30", "2020-01-31", "2020-02-01", "2020-02-02"]
    # May Day 2020: Friday 1 May to Tuesday 5 May.
    + ["2020-05-01", "2020-05-04", "2020-05-05"]
    # Ordinary weekends.
    + ["2020-10-11", "2020-05-10", "2020-04-25"],
)
def test_holidays_and_weekends_are_not_workdays(day):
    assert is_workday(D(day)) is False


@pytest.mark.parametrize(
    "day",
    [
        "2020-09-27",  # Sunday, make-up day for National Day
        "2020-10-10",  # Saturday, make-up day for National Day
        "2020-01-19",  # Sunday, make-up day for Spring Festival
        "2020-04-26",  # Sunday, make-up day for May Day
        "2020-05-09",  # Saturday, make-up day for May Day
        "2020-09-30",  # ordinary Wednesday
        "2020-10-09",  # Friday between the holiday and the make-up Saturday
        "2020-02-03",  # first day back after the extended Spring Festival
    ],
)
def test_make_up_days_and_ordinary_weekdays_are_workdays(day):
    assert is_workday(D(day)) is True


def test_publicity_started_on_30_april_2020_ends_on_11_may():
    # 30 Apr (Thu) is not counted; 1-5 May are holidays; 6, 7, 8 May (Wed-Fri) are days 1-3;
    # Saturday 9 May is a make-up working day (4); Sunday 10 May is a rest day; Monday 11 May (5).
    assert add_workdays(D("2020-04-30"), 5) == D("2020-05-11")


def test_review_over_national_day_2020():
    # From Fri 25 Sep: Sun 27 Sep (make-up) 1, 28-30 Sep 2-4, 1-8 Oct holiday, Fri 9 Oct 5,
    # Sat 10 Oct (make-up) 6, 12-15 Oct 7-10.
    assert add_workdays(D("2020-09-25"), 10) == D("2020-10-15")
    assert workdays_between(D("2020-09-25"), D("2020-10-15")) == 10


def test_appeal_window_over_spring_festival_2020():
    # From Thu 23 Jan: 24 Jan-2 Feb holiday, then Mon 3 Feb is day 1 ... Fri 7 Feb day 5,
    # Mon 10 - Fri 14 Feb days 6-10.
    assert add_workdays(D("2020-01-23"), 1) == D("2020-02-03")
    assert add_workdays(D("2020-01-23"), 10) == D("2020-02-14")
    # Sat 18 Jan is a rest day, Sun 19 Jan a make-up working day.
    assert add_workdays(D("2020-01-17"), 1) == D("2020-01-19")


def test_workdays_between_counts_after_start_up_to_end():
    assert workdays_between(D("2020-09-30"), D("2020-10-09")) == 1
    assert workdays_between(D("2020-09-30"), D("2020-10-08")) == 0
    assert workdays_between(D("2020-04-30"), D("2020-05-11")) == 5
    assert workdays_between(D("2020-05-11"), D("2020-05-11")) == 0
    # Backwards: minus the working days in [b, a).
    assert workdays_between(D("2020-05-11"), D("2020-04-30")) == -5


def test_zero_and_negative_counts():
    assert add_workdays(D("2020-10-03"), 0) == D("2020-10-03")  # a holiday stays put
    assert add_workdays(D("2020-10-12"), -1) == D("2020-10-10")  # the make-up Saturday
    assert add_workdays(D("2020-10-09"), -1) == D("2020-09-30")
    assert add_workdays(D("2020-10-09"), -4) == D("2020-09-27")  # the make-up Sunday
    assert add_workdays(D("2020-10-09"), -5) == D("2020-09-25")


def test_datetimes_are_accepted_as_their_date():
    assert is_workday(datetime(2020, 10, 10, 9, 30)) is True
    assert add_workdays(datetime(2020, 4, 30, 17, 0), 5) == D("2020-05-11")


def test_non_dates_are_refused():
    with pytest.raises(TypeError):
        is_workday("2020-10-10")


def test_covered_range_matches_the_package():
    # chinesecalendar 1.11.0 knows 2004 to 2026.
    assert calendar_covers(D("2004-01-01"))
    assert calendar_covers(D("2026-12-31"))
    assert not calendar_covers(D("2003-12-31"))
    assert not calendar_covers(D("2027-01-01"))
    assert not calendar_covers(D("2035-06-01"))


def test_outside_the_calendar_falls_back_to_monday_to_friday():
    # 1 Jan 2027 (a Friday) will surely be a holiday, but it is not published: no error,
    # plain weekdays, and calendar_covers() lets the interface warn.
    assert is_workday(D("2027-01-01")) is True
    assert is_workday(D("2027-01-02")) is False  # Saturday
    assert add_workdays(D("2027-01-01"), 1) == D("2027-01-04")
    assert add_workdays(D("2003-12-31"), 1) == D("2004-01-02")  # 1 Jan 2004 was a holiday
    # Crossing from the known into the unknown year: Thu 31 Dec 2026 + 2 = Mon 4 Jan 2027.
    assert add_workdays(D("2026-12-31"), 2) == D("2027-01-04")
    assert workdays_between(D("2026-12-25"), D("2027-01-08")) == 10


covered_days = st.dates(min_value=D("2004-01-01"), max_value=D("2026-12-31"))
any_days = st.dates(min_value=D("2000-01-01"), max_value=D("2030-12-31"))


@given(covered_days)
def test_agrees_with_the_official_calendar_where_it_is_known(day):
    assert is_workday(day) == chinese_calendar.is_workday(day)


@given(st.dates(min_value=D("2027-01-01"), max_value=D("2100-12-31")))
def test_weekday_fallback_after_the_calendar(day):
    assert not calendar_covers(day)
    assert is_workday(day) == (day.weekday() < 5)


@given(any_days, st.integers(min_value=-40, max_value=40))
def test_workdays_between_inverts_add_workdays(start, n):
    end = add_workdays(start, n)
    assert workdays_between(start, end) == n
    if n > 0:
        assert end > start and is_workday(end)
    if n < 0:
        assert end < start and is_workday(end)


@given(any_days, st.integers(min_value=0, max_value=30))
def test_adding_more_workdays_never_ends_earlier(start, n):
    assert add_workdays(start, n + 1) > add_workdays(start, n)
    # The longest break on record is Spring Festival 2020: 24 Jan to 2 Feb, 10 rest days.
    assert add_workdays(start, n + 1) - add_workdays(start, n) <= timedelta(days=11)
