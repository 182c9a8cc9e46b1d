"""One active campaign, the past kept: activation closes the previous campaign with a snapshot
of its figures; the pages follow the active campaign; the dashboard shows a past one from its
snapshot; with no campaign active the pages still answer."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEvent
from portal.campaigns.models import CampaignSnapshot
from portal.campaigns.services import activate, active_campaign, close
from portal.reference.models import ConcentratedDay
from portal.refusals import Refused
from portal.register.services import Holding, record_holding


def _actions(db_session) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_activating_closes_the_previous_with_a_snapshot(today, client, login_as, make_user,
                                                         post, db_session, make_campaign,
                                                         make_township, make_person):
    old = make_campaign("old-2025", status="active", name="旧活动")
    new = make_campaign("new-2026", start=date(2026, 3, 9), name="新活动")
    township = make_township()
    holder = make_person(township)
    make_person(township)
    admin = make_user("city_admin")
    record_holding(holder, Holding(holder.id_number + "42", "physical", 2, date(2020, 1, 2),
                                   date(2030, 1, 1)), "manual", admin)
    login_as(admin)
    response = post(f"/city/campaigns/{new.id}/activate")
    assert response.status_code == 302
    db_session.expire_all()
    assert (old.status, new.status) == ("closed", "active")
    assert active_campaign().id == new.id
    snapshot = db_session.scalars(select(CampaignSnapshot)).one()
    assert snapshot.campaign_id == old.id and snapshot.taken_on == today
    line = next(t for t in snapshot.figures["townships"] if t["code"] == township.code)
    assert (line["persons"], line["certified"]) == (2, 1)
    assert snapshot.figures["total"]["certified"] == 1
    assert snapshot.figures["targets"][0]["rate"] == 50.0
    assert _actions(db_session)[-3:] == ["campaign.snapshot", "campaign.closed",
                                         "campaign.activated"]


def test_a_closed_campaign_stays_closed(today, db_session, make_user, make_campaign):
    admin = make_user("city_admin")
    old = make_campaign("old-2025", status="active")
    close(old, admin, today)
    assert old.status == "closed" and active_campaign() is None
    with pytest.raises(Refused):
        activate(old, admin, today)
    with pytest.raises(Refused):
        close(old, admin, today)


def test_the_database_holds_one_active_campaign(db_session, make_campaign):
    make_campaign("a-2025", status="active")
    with pytest.raises(IntegrityError), db_session.begin_nested():
        make_campaign("b-2026", status="active", start=date(2026, 3, 1))
    make_campaign("c-2026", status="closed", start=date(2026, 3, 1))
    make_campaign("d-2027", status="closed", start=date(2027, 3, 1))


def test_pages_follow_the_active_campaign(today, english, login_as, make_user, post,
                                          db_session, make_campaign):
    old = make_campaign("old-2025", status="active", name="旧活动")
    new = make_campaign("new-2026", start=date(2026, 3, 9), name="新活动")
    login_as(make_user("city_admin"))
    assert "旧活动" in english.get("/city/dashboard/").get_data(as_text=True)
    post(f"/city/campaigns/{new.id}/activate")
    page = english.get("/city/dashboard/").get_data(as_text=True)
    assert "新活动" in page.split("</h1>")[0]
    assert 'id="campaign-picker"' in page and "旧活动" in page  # the picker offers the past
    assert 'id="chart-compare"' in page and 'id="compare-data"' in page
    past = english.get(f"/city/dashboard/?campaign={old.id}")
    assert past.status_code == 200
    text = past.get_data(as_text=True)
    assert "A closed campaign, shown read-only" in text and 'id="units-table"' in text
    assert "Recompute the figures now" not in text
    assert english.get("/city/dashboard/?campaign=999999").status_code == 404


def test_with_no_campaign_active_the_pages_still_answer(today, english, login_as, make_user,
                                                        make_township, db_session):
    township = make_township()
    login_as(make_user("city_admin"))
    for url in ("/city/dashboard/", "/city/roster-reports", "/city/campaigns/",
                "/city/dashboard/print", f"/t/{township.code}/dashboard/",
                f"/t/{township.code}/schedule/days"):
        response = english.get(url)
        assert response.status_code == 200, url
    assert "No campaign is active" in english.get("/city/dashboard/").get_data(as_text=True)


def test_concentrated_days_follow_the_active_campaign(today, client, login_as, make_user, post,
                                                      db_session, make_campaign, make_township):
    old = make_campaign("old-2025", status="closed")
    active = make_campaign("new-2026", status="active", start=date(2026, 3, 2))
    township = make_township()
    db_session.add(ConcentratedDay(township_id=township.id, campaign_id=old.id,
                                   day=date(2025, 5, 8)))
    db_session.flush()
    staff = make_user("township_staff", township)
    login_as(staff)
    from portal.scheduling.services import DayData, create_day

    day = create_day(township, staff, DayData(date(2026, 5, 7), [], {}))
    assert day.campaign_id == active.id
    page = client.get(f"/t/{township.code}/schedule/days").get_data(as_text=True)
    assert "2026-05-07" in page and "2025-05-08" not in page


def test_seed_marks_its_campaign_active_only_when_none_is(app, db_session, make_campaign):
    from portal.reference.seed import load_reference

    other = make_campaign("other-2026", status="active", start=date(2026, 3, 1))
    campaign = load_reference("seeded-2020")
    assert campaign.code == "seeded-2020" and campaign.status == "draft"
    assert other.status == "active"
    other.status = "closed"
    db_session.flush()
    assert load_reference("seeded-2020").status == "active"
    assert campaign.phase("concentrated").description


def test_the_township_day_form_names_the_concentrated_phase(today, english, login_as,
                                                            make_user, make_township,
                                                            make_campaign):
    township = make_township()
    login_as(make_user("township_staff", township))
    url = f"/t/{township.code}/schedule/days/new"
    assert 'id="concentrated-phase"' not in english.get(url).get_data(as_text=True)
    make_campaign("new-2026", status="active", start=date(2026, 3, 2))
    page = english.get(url).get_data(as_text=True)
    assert "The concentrated phase runs from 2026-05-06 to 2026-05-29." in page
