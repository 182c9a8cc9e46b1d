"""Working days under China's official holiday and make-up-workday calendar.

Deadlines in the certificate administration are counted in working days: the public notice
(公示) runs 5 working days, the DPF's review 10, the appeal window 10. The calendar comes from
the `chinesecalendar` package, which only knows the years whose schedule the State Council has
published (1.11.0: 2004-2026). For a date outside those years we fall back to Monday-Friday
instead of failing, and `calendar_covers()` tells the interface to show a warning.

Counting follows the usual rule for periods (Civil Code art. 201): the day on which a period
starts is not counted, so `add_workdays(start, 5)` is the 5th working day *after* `start`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import chinese_calendar

_ONE_DAY = timedelta(days=1)


def _as_date(day: date) -> date:
    if isinstance(day, datetime):
        return day.date()
    if not isinstance(day, date):
        raise TypeError(f"date expected, got {type(day).__name__}")
    return day


@lru_cache(maxsize=64)
def _year_covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except NotImplementedError:
        return False
    return True


def calendar_covers(day: date) -> bool:
    """Whether the official holiday calendar is known for the year of `day`."""
    return _year_covered(_as_date(day).year)


@lru_cache(maxsize=8192)
def _is_workday(day: date) -> bool:
    if _year_covered(day.year):
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def is_workday(day: date) -> bool:
    """True on an official working day (make-up Saturdays/Sundays included).

    Outside the years the calendar covers: Monday to Friday.
    """
    return _is_workday(_as_date(day))


def add_workdays(start: date, n: int) -> date:
    """The n-th working day after `start` (before it when n < 0); `start` itself is not counted.

    n == 0 returns `start` unchanged, whether or not it is a working day.
    """
    day = _as_date(start)
    step = _ONE_DAY if n >= 0 else -_ONE_DAY
    remaining = abs(n)
    while remaining:
        day += step
        if _is_workday(day):
            remaining -= 1
    return day


def workdays_between(a: date, b: date) -> int:
    """Working days in (a, b], those after `a` up to and including `b`.

    When b < a the result is minus the working days in [b, a), so that the function is the
    inverse of `add_workdays` in both directions: workdays_between(a, add_workdays(a, n)) == n.
    """
    a, b = _as_date(a), _as_date(b)
    if b < a:
        return -workdays_between(b - _ONE_DAY, a - _ONE_DAY)
    count = 0
    day = a
    while day < b:
        day += _ONE_DAY
        if _is_workday(day):
            count += 1
    return count
