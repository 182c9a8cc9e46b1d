"""Fixtures of the year-round application tests: a movable clock and a reference campaign."""
from __future__ import annotations

from datetime import date, datetime

import pytest

import portal.clock
from portal.reference.models import Campaign, CampaignPhase
from tests.cases.helpers import world  # noqa: F401


class _Clock(datetime):
    day = date(2020, 9, 1)

    @classmethod
    def now(cls, tz=None):
        return datetime(cls.day.year, cls.day.month, cls.day.day, 10, 0, tzinfo=tz)


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def clock(monkeypatch):
    """The portal's today, moved by setting `clock.day` (2020-09-01 to begin with)."""
    monkeypatch.setattr(portal.clock, "datetime", _Clock)
    _Clock.day = date(2020, 9, 1)
    return _Clock


@pytest.fixture
def campaign(db_session):
    """A campaign running from 2020-04-01 to 2020-06-30 (survey to issuance)."""
    row = Campaign(code="walkin-test-2020", name="2020 集中办证", phases=[
        CampaignPhase(code="survey", name="调查", position=1,
                      starts_on=date(2020, 4, 1), ends_on=date(2020, 4, 30)),
        CampaignPhase(code="issuance", name="核发", position=2,
                      starts_on=date(2020, 5, 1), ends_on=date(2020, 6, 30)),
    ])
    db_session.add(row)
    db_session.flush()
    return row
