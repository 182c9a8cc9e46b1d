"""PORTAL_TODAY / PORTAL_DAYS_AHEAD: today moves in development and testing only, with a
banner on every page; production refuses to start with either."""
from datetime import date, timedelta

import pytest

from portal import create_app
from portal.clock import ClockSettingError, local_today, moved_clock, real_today


def _app(**config):
    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       **config})


def test_today_is_the_real_day_without_a_setting():
    app = _app()
    with app.app_context():
        assert local_today() == real_today()
        assert moved_clock() is None


def test_portal_today_fixes_the_day():
    app = _app(PORTAL_TODAY="2027-03-15")
    with app.app_context():
        assert local_today() == date(2027, 3, 15)
        moved = moved_clock()
        assert moved.today == date(2027, 3, 15) and moved.real_today == real_today()


@pytest.mark.parametrize("days", [8, -3])
def test_days_ahead_moves_the_day_from_the_real_one(days):
    app = _app(PORTAL_DAYS_AHEAD=str(days))
    with app.app_context():
        assert local_today() == real_today() + timedelta(days=days)


@pytest.mark.parametrize("setting", [{"PORTAL_TODAY": "2027-03-15"},
                                     {"PORTAL_DAYS_AHEAD": "8"}])
def test_production_refuses_to_start_with_a_moved_clock(setting):
    with pytest.raises(ClockSettingError, match=next(iter(setting))):
        create_app({"ENV_NAME": "production", "SECRET_KEY": "k" * 32,
                    "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "PUBLIC_BASE_URL": "https://cjr.example.gov.cn", **setting})


@pytest.mark.parametrize("setting, message", [
    ({"PORTAL_TODAY": "15/03/2027"}, "YYYY-MM-DD"),
    ({"PORTAL_DAYS_AHEAD": "a week"}, "whole number"),
    ({"PORTAL_TODAY": "2027-03-15", "PORTAL_DAYS_AHEAD": "3"}, "not both"),
])
def test_unreadable_settings_are_refused(setting, message):
    with pytest.raises(ClockSettingError, match=message):
        _app(**setting)


def test_every_page_shows_the_banner_while_the_clock_is_moved():
    app = _app(PORTAL_TODAY="2027-03-15")
    with app.app_context():
        from portal.extensions import db

        db.create_all()
    page = app.test_client().get("/auth/login").get_data(as_text=True)
    assert 'class="clock-banner' in page
    assert "2027-03-15" in page and real_today().isoformat() in page


def test_no_banner_on_the_real_clock(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert "clock-banner" not in page
