"""Campaigns of the tests: a plan as the editor's form posts it, and a campaign made directly."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import portal.clock


class FrozenClock(portal.clock.datetime):
    day = date(2026, 3, 2)

    @classmethod
    def now(cls, tz=None):
        return portal.clock.datetime(cls.day.year, cls.day.month, cls.day.day, 10, 0, tzinfo=tz)


@pytest.fixture
def today(monkeypatch):
    """The campaign's day is 2026-03-02 (a Monday)."""
    monkeypatch.setattr(portal.clock, "datetime", FrozenClock)
    FrozenClock.day = date(2026, 3, 2)
    return FrozenClock.day


def plan_form(**overrides) -> dict:
    """The fields of the plan editor for a 2026 campaign with four phases and two targets."""
    data = {
        "name": "芒市2026年残疾人证核发工作", "code": "mangshi-2026",
        "document_number": "芒政办发〔2026〕5号", "county": "芒市",
        "starts_on": "2026-03-09", "ends_on": "2027-12-31",
        "estimated_disabled": "24000", "certified_at_start": "12000",
        "expiring_certificates": "1500", "poverty_registered_disabled": "1700",
        "phases-0-name": "宣传发动阶段", "phases-0-code": "publicity",
        "phases-0-starts_on": "2026-03-09", "phases-0-ends_on": "2026-03-31",
        "phases-0-description": "动员会和入户宣传",
        "phases-1-name": "摸底调查阶段", "phases-1-code": "survey",
        "phases-1-starts_on": "2026-04-01", "phases-1-ends_on": "2026-04-15",
        "phases-2-name": "集中办证阶段", "phases-2-code": "concentrated",
        "phases-2-starts_on": "2026-05-06", "phases-2-ends_on": "2026-05-29",
        "phases-3-name": "审核发证阶段", "phases-3-code": "issuance",
        "phases-3-starts_on": "2026-06-01", "phases-3-ends_on": "2026-12-31",
        "targets-0-holding_rate": "60", "targets-0-deadline": "2026-12-31",
        "targets-1-holding_rate": "70", "targets-1-deadline": "2027-12-31",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def make_campaign(db_session):
    from portal.reference.models import Campaign, CampaignPhase, CampaignTarget

    def _make(code="old-2025", status="draft", start=date(2025, 3, 1), **values):
        campaign = Campaign(code=code, name=values.pop("name", f"活动{code}"), status=status,
                            starts_on=start, ends_on=date(start.year + 1, 12, 31),
                            estimated_disabled=values.pop("estimated_disabled", 100),
                            certified_at_start=values.pop("certified_at_start", 40), **values)
        campaign.phases = [
            CampaignPhase(code="survey", name="摸底调查阶段", position=0, starts_on=start,
                          ends_on=date(start.year, 4, 15)),
            CampaignPhase(code="concentrated", name="集中办证阶段", position=1,
                          starts_on=date(start.year, 5, 6), ends_on=date(start.year, 5, 29)),
        ]
        campaign.targets = [CampaignTarget(holding_rate=Decimal("0.5"),
                                           deadline=date(start.year, 12, 31))]
        db_session.add(campaign)
        db_session.flush()
        return campaign

    return _make
