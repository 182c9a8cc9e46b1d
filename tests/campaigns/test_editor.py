"""The city's campaign editor: a city administrator plans a campaign in the browser; the
checks a user expects refuse a wrong plan with a Chinese message next to the field."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.reference.models import Campaign
from tests.campaigns.conftest import plan_form


def _error(page: str, field_id: str) -> str:
    match = re.search(rf'id="{re.escape(field_id)}-error"[^>]*>(.*?)</div>', page, re.DOTALL)
    assert match, f"no error next to {field_id}"
    return match.group(1)


def test_city_admin_plans_a_campaign(today, client, login_as, make_user, post, db_session):
    admin = make_user("city_admin")
    login_as(admin)
    assert client.get("/city/campaigns/new").status_code == 200
    response = post("/city/campaigns/new", plan_form())
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    campaign = db_session.scalars(select(Campaign).where(Campaign.code == "mangshi-2026")).one()
    assert campaign.status == "draft"
    assert campaign.document_number == "芒政办发〔2026〕5号" and campaign.county == "芒市"
    assert [p.code for p in campaign.phases] == ["publicity", "survey", "concentrated",
                                                  "issuance"]
    assert campaign.phases[0].description == "动员会和入户宣传"
    assert [(t.holding_rate, t.deadline) for t in campaign.targets] == [
        (Decimal("0.6"), date(2026, 12, 31)), (Decimal("0.7"), date(2027, 12, 31))]
    assert campaign.estimated_disabled == 24000
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "campaign.created")).one()
    assert event.details["plan"]["code"] == "mangshi-2026"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "芒政办发〔2026〕5号" in page and "集中办证阶段" in page


def test_editing_changes_phases_and_targets_and_is_audited(today, client, login_as, make_user,
                                                          post, db_session):
    login_as(make_user("city_admin"))
    post("/city/campaigns/new", plan_form())
    campaign = db_session.scalars(select(Campaign).where(Campaign.code == "mangshi-2026")).one()
    form = client.get(f"/city/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert 'value="mangshi-2026"' in form and 'value="集中办证阶段"' in form
    changed = plan_form(**{"targets-1-holding_rate": None, "targets-1-deadline": None,
                           "targets-0-holding_rate": "55", "phases-3-ends_on": "2027-06-30"})
    response = post(f"/city/campaigns/{campaign.id}/edit", changed)
    assert response.status_code == 302
    db_session.expire_all()
    assert [(t.holding_rate, t.deadline) for t in campaign.targets] == [
        (Decimal("0.55"), date(2026, 12, 31))]
    assert campaign.phase("issuance").ends_on == date(2027, 6, 30)
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "campaign.updated")).one()
    assert "targets" in event.details["changed"] and "phases" in event.details["changed"]


def test_overlapping_phases_are_refused_next_to_the_field(today, client, login_as, make_user,
                                                         post, db_session):
    login_as(make_user("city_admin"))
    response = post("/city/campaigns/new", plan_form(**{"phases-1-starts_on": "2026-03-20"}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "阶段" in _error(page, "phases-1-starts_on")  # Chinese, the default locale
    assert db_session.scalars(select(Campaign)).first() is None


def test_plan_checks(english, today, login_as, make_user, post, db_session):
    login_as(make_user("city_admin"))
    cases = {
        "phases-1-starts_on": ({"phases-1-starts_on": "2026-03-31"}, "overlaps"),
        "phases-2-starts_on": ({"phases-2-starts_on": "2026-08-01",
                                "phases-2-ends_on": "2026-08-20"}, "days after"),
        "phases-3-ends_on": ({"phases-3-ends_on": "2026-05-31"}, "cannot end before"),
        "targets-1-deadline": ({"targets-1-deadline": "2028-06-30"}, "outside the campaign"),
        "targets-1-holding_rate": ({"targets-1-holding_rate": "40"}, "lower holding rate"),
        "starts_on": ({"starts_on": "2026-02-01", "phases-0-starts_on": "2026-02-01"},
                      "cannot start in the past"),
        "ends_on": ({"ends_on": "2026-01-01"}, "cannot end before it starts"),
        "phases-2-code": ({"phases-2-code": "survey"}, "Two phases"),
    }
    for field, (overrides, message) in cases.items():
        page = post("/city/campaigns/new", plan_form(**overrides)).get_data(as_text=True)
        assert message in _error(page, field), field
    assert db_session.scalars(select(Campaign)).first() is None


def test_a_past_campaign_may_be_recorded_as_history(today, login_as, make_user, post,
                                                    db_session):
    login_as(make_user("city_admin"))
    past = plan_form(code="mangshi-2020", starts_on="2020-03-11", ends_on="2021-12-31",
                     historical="y",
                     **{"phases-0-starts_on": "2020-03-11", "phases-0-ends_on": "2020-03-31",
                        "phases-1-starts_on": "2020-04-01", "phases-1-ends_on": "2020-04-15",
                        "phases-2-starts_on": "2020-05-07", "phases-2-ends_on": "2020-05-25",
                        "phases-3-starts_on": "2020-06-01", "phases-3-ends_on": "2020-12-31",
                        "targets-0-deadline": "2020-12-31", "targets-1-deadline": "2021-12-31"})
    assert post("/city/campaigns/new", past).status_code == 302
    assert db_session.scalars(select(Campaign)).one().historical is True


def test_only_the_city_admin_changes_campaigns(today, client, login_as, make_user, post,
                                               make_township, make_campaign):
    campaign = make_campaign()
    login_as(make_user("supervisor"))
    assert client.get("/city/campaigns/").status_code == 200
    assert client.get(f"/city/campaigns/{campaign.id}").status_code == 200
    assert client.get("/city/campaigns/new").status_code == 403
    assert post("/city/campaigns/new", plan_form()).status_code == 403
    assert post(f"/city/campaigns/{campaign.id}/activate").status_code == 403
    assert post(f"/city/campaigns/{campaign.id}/copy", {"shift_days": "365"}).status_code == 403
    login_as(make_user("township_staff", make_township()))
    assert client.get("/city/campaigns/").status_code == 404
    assert client.get(f"/city/campaigns/{campaign.id}").status_code == 404


def test_hospitals_are_added_on_the_campaign_pages(today, client, login_as, make_user, post,
                                                   db_session):
    from portal.reference.models import Hospital

    login_as(make_user("city_admin"))
    assert post("/city/campaigns/hospitals", {"name": "芒市中医医院"}).status_code == 302
    assert db_session.scalars(select(Hospital.name)).all() == ["芒市中医医院"]
    again = post("/city/campaigns/hospitals", {"name": "芒市中医医院"})
    assert again.status_code == 400
    assert "hospital-add" not in again.get_data(as_text=True)
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "hospital.added")).one()


def test_the_poverty_renewal_target_is_planned_beside_the_rates(today, client, login_as,
                                                                make_user, post, db_session):
    """The plan's must-complete figure is a target kind of its own: no rate to enter, it may
    fall due on the day of a holding-rate target, editing keeps it, a copy keeps it."""
    login_as(make_user("city_admin"))
    form = plan_form(**{"targets-2-kind": "poverty_renewal", "targets-2-holding_rate": "",
                        "targets-2-deadline": "2026-12-31"})
    response = post("/city/campaigns/new", form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    campaign = db_session.scalars(select(Campaign).where(Campaign.code == "mangshi-2026")).one()
    assert sorted((t.kind, t.holding_rate, t.deadline) for t in campaign.targets) == [
        ("holding_rate", Decimal("0.6"), date(2026, 12, 31)),
        ("holding_rate", Decimal("0.7"), date(2027, 12, 31)),
        ("poverty_renewal", Decimal(1), date(2026, 12, 31))]
    page = client.get(f"/city/campaigns/{campaign.id}/edit").get_data(as_text=True)
    assert re.search(r'<option selected value="poverty_renewal"|'
                     r'<option value="poverty_renewal" selected', page)
    edited = {**form, "targets-0-holding_rate": "55"}
    assert post(f"/city/campaigns/{campaign.id}/edit", edited).status_code == 302
    db_session.expire_all()
    assert sorted(t.kind for t in campaign.targets) == [
        "holding_rate", "holding_rate", "poverty_renewal"]
    assert post(f"/city/campaigns/{campaign.id}/copy", {"shift_days": "365"}).status_code == 302
    copy = db_session.scalars(select(Campaign).where(Campaign.copied_from_id == campaign.id)).one()
    assert sorted((t.kind, t.deadline) for t in copy.targets) == [
        ("holding_rate", date(2027, 12, 31)), ("holding_rate", date(2028, 12, 30)),
        ("poverty_renewal", date(2027, 12, 31))]


def test_a_holding_rate_target_needs_its_rate(today, english, login_as, make_user, post,
                                              db_session):
    login_as(make_user("city_admin"))
    response = post("/city/campaigns/new", plan_form(**{"targets-2-kind": "holding_rate",
                                                        "targets-2-deadline": "2026-10-31"}))
    assert "Enter the holding rate to reach." in _error(response.get_data(as_text=True),
                                                        "targets-2-holding_rate")
