"""The one rule for dates of things already done (portal.late_entry.check_done_date)."""
from __future__ import annotations

from datetime import date

import pytest

from portal.late_entry import check_done_date, late_refusal

TODAY = date(2020, 9, 14)


@pytest.mark.parametrize(("day", "reason", "future_allowed", "code"), [
    (date(2020, 9, 14), "", False, None),
    (date(2020, 9, 15), "", False, "date_in_future"),
    (date(2020, 9, 15), "", True, None),
    (date(2020, 9, 11), "", False, "late_reason_required"),
    (date(2020, 9, 11), "   ", False, "late_reason_required"),
    (date(2020, 9, 11), "paper receipt", False, None),
    (date(2020, 9, 7), "paper receipt", False, None),  # 7 days back: the last day allowed
    (date(2020, 9, 6), "paper receipt", False, "date_too_old"),
])
def test_window_and_reason(app, day, reason, future_allowed, code):
    with app.app_context():
        assert check_done_date(day, today=TODAY, reason=reason,
                               future_allowed=future_allowed) == code


def test_window_is_configurable(app, monkeypatch):
    monkeypatch.setitem(app.config, "LATE_ENTRY_DAYS", 2)
    with app.app_context():
        assert check_done_date(date(2020, 9, 12), today=TODAY, reason="r") is None
        assert check_done_date(date(2020, 9, 11), today=TODAY, reason="r") == "date_too_old"
        assert "超过2天" in late_refusal("date_too_old").message


def test_default_window_is_seven_days(app):
    from portal.config import Config

    assert Config.LATE_ENTRY_DAYS == 7
