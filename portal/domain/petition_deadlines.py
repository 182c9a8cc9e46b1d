"""Time limits of a petition (信访) under the 《信访工作条例》 (2022), in calendar days.

- the unit that receives a petition decides whether it accepts it and tells the petitioner
  within 15 days of receipt;
- an accepted petition is answered within 60 days of acceptance; where the case is complicated
  the unit's head may extend that once, by at most 30 days, and the petitioner is told why;
- a petitioner who disagrees with the answer may ask for a review (复查) within 30 days of
  receiving it; the review is answered within 30 days of the request.

The figures are settings (`TimeLimits`, filled from the portal's configuration); these
functions only count. A period does not count the day it starts on (as in the Civil Code, art.
201): received on 1 March, the acceptance is due by 16 March. Pure: no Flask, no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class TimeLimits:
    """The time limits, in calendar days (defaults: the ordinance's)."""

    acceptance_days: int = 15
    answer_days: int = 60
    extension_max_days: int = 30
    review_request_days: int = 30
    review_answer_days: int = 30
    due_soon_days: int = 3


DEFAULT_LIMITS = TimeLimits()


def _after(day: date, days: int) -> date:
    return day + timedelta(days=days)


def acceptance_due(received_on: date, limits: TimeLimits = DEFAULT_LIMITS) -> date:
    """The last day to decide on acceptance and tell the petitioner."""
    return _after(received_on, limits.acceptance_days)


def answer_due(accepted_on: date, limits: TimeLimits = DEFAULT_LIMITS,
               extension_days: int = 0) -> date:
    """The last day to answer an accepted petition, with an approved extension added."""
    return _after(accepted_on, limits.answer_days + max(extension_days, 0))


def extension_refusal(days: int | None, *, already_extended: bool, answer_due_on: date,
                      today: date, limits: TimeLimits = DEFAULT_LIMITS) -> str | None:
    """None when an extension of `days` may be asked for today, else the refusal's code.

    Once only; at least one day and at most `extension_max_days`; and asked for while the
    answer is not yet overdue (an extension is granted before the limit runs out, not after).
    """
    if already_extended:
        return "petition_extended_once"
    if days is None or days < 1:
        return "petition_extension_days_min"
    if days > limits.extension_max_days:
        return "petition_extension_days_max"
    if today > answer_due_on:
        return "petition_extension_too_late"
    return None


def review_request_until(answered_on: date, limits: TimeLimits = DEFAULT_LIMITS) -> date:
    """The last day the petitioner may ask for a review of the answer."""
    return _after(answered_on, limits.review_request_days)


def review_request_refusal(answered_on: date, requested_on: date,
                           limits: TimeLimits = DEFAULT_LIMITS) -> str | None:
    """None when a review asked for on `requested_on` is in time, else the refusal's code."""
    if requested_on < answered_on:
        return "petition_review_before_answer"
    if requested_on > review_request_until(answered_on, limits):
        return "petition_review_too_late"
    return None


def review_answer_due(requested_on: date, limits: TimeLimits = DEFAULT_LIMITS) -> date:
    """The last day to answer a review."""
    return _after(requested_on, limits.review_answer_days)


def is_overdue(due_on: date | None, today: date) -> bool:
    """Past its last day (the last day itself is still in time)."""
    return due_on is not None and today > due_on


def is_due_soon(due_on: date | None, today: date,
                limits: TimeLimits = DEFAULT_LIMITS) -> bool:
    """Due today or within the next `due_soon_days` days, and not overdue."""
    return due_on is not None and today <= due_on <= _after(today, limits.due_soon_days)


def days_left(due_on: date, today: date) -> int:
    """Days until the last day: 0 on the day itself, negative once overdue."""
    return (due_on - today).days
