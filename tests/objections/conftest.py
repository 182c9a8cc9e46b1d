"""Fixtures of the objection tests: a case on public notice in a village, the portal's clock
inside its notice, and the notice's public address."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from portal.cases.effects import PUBLICITY_WORKDAYS
from portal.domain.workdays import add_workdays
from portal.objections.notices import notice_code, pretty_code
from tests.cases.helpers import world  # noqa: F401

START = date(2026, 12, 7)  # a Monday
END = add_workdays(START, PUBLICITY_WORKDAYS)


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def clock(app, monkeypatch):
    """Set the portal's day (portal/clock.py) for the test's requests and services."""

    def _set(day: date) -> date:
        monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", day)
        return day

    _set(START + timedelta(days=1))
    return _set


@pytest.fixture
def on_notice(world, db_session, clock):  # noqa: F811 (the fixture imported above)
    """李四's result (physical, grade 2) on public notice in his village from START."""
    world.person.phone = "13812345678"
    world.person.address = "团结路88号"
    world.person.guardian_name = "李监护"
    case = world.new_case("publicity", doctor_id=world.doctor.id, category="physical",
                          grade=2, publicity_starts_on=START, publicity_ends_on=END)
    db_session.flush()
    world.case = case
    world.notice_url = f"/n/{pretty_code(notice_code(world.village.id, START))}"
    return world
