"""Dates of things done before they were entered (补录).

Officials record on paper first and type it in a few days later: a public notice posted
yesterday, a certificate handed over on Friday. Every form and service that takes the date of
something done asks `check_done_date` (the one rule):

- a date in the future is refused, unless the step may be planned ahead (the public notice);
- today needs nothing more;
- a past date within `LATE_ENTRY_DAYS` (portal/config.py, default 7) needs a reason; who
  entered it and when is the case event's actor and time;
- an older date is refused.

Deadlines count from the date the thing happened, never from the day it was typed in.
"""
from __future__ import annotations

from datetime import date, timedelta

from flask import current_app, has_app_context
from wtforms import Field

from portal.clock import local_today
from portal.refusals import Refused

DEFAULT_LATE_ENTRY_DAYS = 7
REASON_MAX = 2000


def late_entry_days() -> int:
    """How many days back a date may be entered (LATE_ENTRY_DAYS)."""
    if has_app_context():
        return int(current_app.config.get("LATE_ENTRY_DAYS", DEFAULT_LATE_ENTRY_DAYS))
    return DEFAULT_LATE_ENTRY_DAYS


def earliest_date(today: date | None = None) -> date:
    """The oldest date that may still be entered today."""
    return (today or local_today()) - timedelta(days=late_entry_days())


def check_done_date(day: date, *, today: date | None = None, reason: str | None = "",
                    future_allowed: bool = False) -> str | None:
    """None when `day` may be entered as the date of something done, else a refusal code
    (date_in_future, late_reason_required or date_too_old: words in the refusal catalogue)."""
    today = today or local_today()
    if day > today:
        return None if future_allowed else "date_in_future"
    if day == today:
        return None
    if day < earliest_date(today):
        return "date_too_old"
    if not (reason or "").strip():
        return "late_reason_required"
    return None


def late_reason(day: date | None, reason: str | None, today: date | None = None) -> str | None:
    """The reason to record with a step: the stripped reason for a past date, else None."""
    today = today or local_today()
    if day is None or day >= today:
        return None
    return (reason or "").strip()[:REASON_MAX] or None


def late_refusal(code: str, date_field: str | None = None,
                 reason_field: str | None = None) -> Refused:
    """The refusal of a code of the rule; a missing reason belongs next to the reason, any
    other refusal next to the date (when the form's field names are given)."""
    field = reason_field if code == "late_reason_required" else date_field
    return Refused(code, field=field, days=late_entry_days())


def validate_done_date(date_field: Field, reason_field: Field, *, today: date | None = None,
                       future_allowed: bool = False) -> bool:
    """Form check of a date of something done: the error goes next to the field concerned
    (a missing reason next to the reason, any other refusal next to the date)."""
    if date_field.data is None:
        return True  # the field's own validators speak about a missing date
    code = check_done_date(date_field.data, today=today, reason=reason_field.data,
                           future_allowed=future_allowed)
    if code is None:
        return True
    target = reason_field if code == "late_reason_required" else date_field
    target.errors = [*target.errors, late_refusal(code).message]
    return False
