"""The time limits of a petition (portal/domain/petition_deadlines.py), counted in calendar days
from the day after the starting day, with the ordinance's defaults and with other settings."""
from __future__ import annotations

from datetime import date

import pytest

from portal.domain.petition_deadlines import (
    DEFAULT_LIMITS,
    TimeLimits,
    acceptance_due,
    answer_due,
    days_left,
    extension_refusal,
    is_due_soon,
    is_overdue,
    review_answer_due,
    review_request_refusal,
    review_request_until,
)


def test_the_defaults_are_the_ordinances():
    assert (DEFAULT_LIMITS.acceptance_days, DEFAULT_LIMITS.answer_days,
            DEFAULT_LIMITS.extension_max_days, DEFAULT_LIMITS.review_request_days,
            DEFAULT_LIMITS.review_answer_days, DEFAULT_LIMITS.due_soon_days) == (
        15, 60, 30, 30, 30, 3)


def test_acceptance_is_due_15_calendar_days_after_receipt_across_months_and_holidays():
    assert acceptance_due(date(2026, 3, 1)) == date(2026, 3, 16)
    # Calendar days: the National Day week counts like any other.
    assert acceptance_due(date(2026, 9, 25)) == date(2026, 10, 10)
    assert acceptance_due(date(2024, 2, 20)) == date(2024, 3, 6)  # leap year


def test_answer_is_due_60_days_after_acceptance_plus_the_extension():
    assert answer_due(date(2026, 1, 10)) == date(2026, 3, 11)
    assert answer_due(date(2026, 1, 10), extension_days=30) == date(2026, 4, 10)
    assert answer_due(date(2026, 1, 10), extension_days=-5) == date(2026, 3, 11)


def test_settings_change_the_counting():
    short = TimeLimits(acceptance_days=5, answer_days=20, extension_max_days=10,
                       review_request_days=7, review_answer_days=14)
    assert acceptance_due(date(2026, 1, 1), short) == date(2026, 1, 6)
    assert answer_due(date(2026, 1, 1), short, extension_days=10) == date(2026, 1, 31)
    assert review_request_until(date(2026, 1, 1), short) == date(2026, 1, 8)
    assert review_answer_due(date(2026, 1, 1), short) == date(2026, 1, 15)
    assert extension_refusal(11, already_extended=False, answer_due_on=date(2026, 2, 1),
                             today=date(2026, 1, 1), limits=short) == (
        "petition_extension_days_max")


@pytest.mark.parametrize(("days", "extended", "today", "code"), [
    (30, False, date(2026, 3, 11), None),  # the last day itself is still in time
    (1, False, date(2026, 1, 20), None),
    (31, False, date(2026, 1, 20), "petition_extension_days_max"),
    (0, False, date(2026, 1, 20), "petition_extension_days_min"),
    (None, False, date(2026, 1, 20), "petition_extension_days_min"),
    (10, True, date(2026, 1, 20), "petition_extended_once"),
    (10, False, date(2026, 3, 12), "petition_extension_too_late"),
])
def test_one_extension_of_at_most_30_days_asked_for_in_time(days, extended, today, code):
    assert extension_refusal(days, already_extended=extended, answer_due_on=date(2026, 3, 11),
                             today=today) == code


def test_a_review_may_be_asked_for_within_30_days_of_the_answer():
    answered = date(2026, 4, 1)
    assert review_request_until(answered) == date(2026, 5, 1)
    assert review_request_refusal(answered, date(2026, 4, 1)) is None
    assert review_request_refusal(answered, date(2026, 5, 1)) is None
    assert review_request_refusal(answered, date(2026, 5, 2)) == "petition_review_too_late"
    assert review_request_refusal(answered, date(2026, 3, 31)) == (
        "petition_review_before_answer")
    assert review_answer_due(date(2026, 5, 1)) == date(2026, 5, 31)


def test_overdue_and_due_soon():
    due = date(2026, 6, 10)
    assert not is_overdue(due, date(2026, 6, 10))
    assert is_overdue(due, date(2026, 6, 11))
    assert not is_overdue(None, date(2026, 6, 11))
    assert is_due_soon(due, date(2026, 6, 7))
    assert is_due_soon(due, date(2026, 6, 10))
    assert not is_due_soon(due, date(2026, 6, 6))
    assert not is_due_soon(due, date(2026, 6, 11))
    assert days_left(due, date(2026, 6, 7)) == 3
    assert days_left(due, date(2026, 6, 12)) == -2
