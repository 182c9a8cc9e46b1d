"""Roster reports: a township's dated, counted, immutable submission; the city's late list."""
import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.clock import local_today
from portal.reference.models import Campaign, CampaignPhase
from portal.rosters.models import RosterEntry, RosterReport
from portal.rosters.services import snapshot_sha256
from tests.rosters.helpers import text


@pytest.fixture
def town(make_township):
    return make_township()


def _submit(post, town, **data):
    return post(f"/t/{town.code}/reports", data={"confirm": "y", "note": "", **data})


def test_submission_counts_and_snapshot(client, post, town, make_township, make_user, login_as,
                                        make_person, db_session, events):
    a = make_person(town, name="甲", list_kind="expired", poverty_registered=True)
    db_session.add(RosterEntry(township_id=town.id, person_id=a.id, list_kind="suspected"))
    make_person(town, name="乙", list_kind="suspected", mobility="bedridden")
    gone = make_person(town, name="丙", list_kind="expired")
    gone.roster_entries[0].status = "withdrawn"
    make_person(make_township(), name="外", list_kind="expired")
    db_session.flush()
    staff = login_as(make_user("township_staff", town))

    response = _submit(post, town, note="第一次上报")
    assert response.status_code == 302
    report = db_session.scalars(select(RosterReport)).one()
    assert response.headers["Location"].endswith(f"/reports/{report.id}")
    assert (report.expired_count, report.suspected_count) == (1, 2)
    assert (report.poverty_count, report.bedridden_count) == (1, 1)
    assert (report.township_id, report.submitted_by_id, report.note) == (town.id, staff.id,
                                                                         "第一次上报")
    names = {row["name"] for row in report.snapshot}
    assert names == {"甲", "乙"}
    assert a.id_number not in json.dumps(report.snapshot, ensure_ascii=False)
    assert report.sha256 == snapshot_sha256(report.snapshot)
    assert re.fullmatch(r"[0-9a-f]{64}", report.sha256)
    [event] = events("roster_report.submit")
    assert event.details["expired"] == 1 and "甲" not in str(event.details)

    page = text(client.get(f"/t/{town.code}/reports/{report.id}"))
    assert "甲" in page and report.sha256 in page and "The rows match the fingerprint" in page
    assert a.id_number not in page
    listing = text(client.get(f"/t/{town.code}/reports"))
    assert f"/reports/{report.id}" in listing
    download = client.get(f"/t/{town.code}/reports/{report.id}/download")
    assert download.mimetype == "application/json"
    body = json.loads(download.get_data(as_text=True))
    assert body["sha256"] == report.sha256 and body["counts"]["suspected"] == 2


def test_submission_needs_confirmation(client, post, town, make_user, login_as, db_session):
    login_as(make_user("township_staff", town))
    page = text(post(f"/t/{town.code}/reports", data={"note": ""}))
    assert "Tick the box to confirm" in page
    assert db_session.scalars(select(RosterReport)).all() == []


def test_reports_are_immutable(client, post, town, make_user, login_as, make_person,
                               db_session):
    make_person(town, name="甲", list_kind="expired")
    login_as(make_user("township_staff", town))
    _submit(post, town)
    report = db_session.scalars(select(RosterReport)).one()
    report.expired_count = 99
    with pytest.raises(ValueError, match="immutable"):
        db_session.flush()
    db_session.rollback()


def test_reports_need_the_permission(client, post, town, make_user, login_as, db_session):
    liaison = make_user("village_liaison", town, list(town.villages))
    login_as(liaison)
    assert client.get(f"/t/{town.code}/reports").status_code == 403
    assert _submit(post, town).status_code == 403
    assert db_session.scalars(select(RosterReport)).all() == []


def _campaign(db_session, code, survey_ends):
    campaign = Campaign(code=code, name="测试活动", status="active")
    campaign.phases.append(CampaignPhase(code="survey", name="摸底调查阶段", position=1,
                                         starts_on=survey_ends - timedelta(days=14),
                                         ends_on=survey_ends))
    db_session.add(campaign)
    db_session.flush()
    return campaign


def _report(db_session, township, user, when):
    report = RosterReport(township_id=township.id, submitted_by_id=user.id, submitted_at=when,
                          expired_count=3, suspected_count=4, poverty_count=1,
                          bedridden_count=2, snapshot=[], sha256=snapshot_sha256([]))
    db_session.add(report)
    db_session.flush()
    return report


def _row_state(page, township):
    row = re.search(r'<tr class="report-state-(\w+)">\s*<th scope="row"[^>]*>'
                    + re.escape(township.name) + "<", page)
    assert row, township.name
    return row.group(1)


def test_city_sees_late_townships(app, client, make_township, make_user, login_as, db_session,
                                  monkeypatch):
    _campaign(db_session, "test-campaign", date(2020, 4, 15))
    on_time, after, missing = make_township(), make_township(), make_township()
    admin = make_user("city_admin")
    # 23:30 in Shanghai on the deadline day is still on time.
    _report(db_session, on_time, admin, datetime(2020, 4, 15, 15, 30, tzinfo=UTC))
    _report(db_session, after, admin, datetime(2020, 4, 15, 16, 30, tzinfo=UTC))
    _report(db_session, after, admin, datetime(2020, 5, 1, tzinfo=UTC))
    login_as(admin)
    page = text(client.get("/city/roster-reports"))
    assert _row_state(page, on_time) == "on_time"
    assert _row_state(page, after) == "submitted_late"
    assert _row_state(page, missing) == "late"
    assert "Late: not submitted" in page
    assert "2020" in page


def test_city_before_the_deadline_and_without_campaign(app, client, make_township, make_user,
                                                       login_as, db_session, monkeypatch):
    township = make_township()
    login_as(make_user("supervisor"))
    campaign = _campaign(db_session, "future-campaign", local_today() + timedelta(days=30))
    assert _row_state(text(client.get("/city/roster-reports")), township) == "pending"
    campaign.status = "closed"  # no campaign is active
    db_session.flush()
    response = client.get("/city/roster-reports")
    assert response.status_code == 200
    page = text(response)
    assert "No campaign is active" in page
    assert _row_state(page, township) == "not_submitted"


def test_city_page_is_for_city_roles(client, town, make_user, login_as):
    login_as(make_user("township_staff", town))
    assert client.get("/city/roster-reports").status_code == 404
