"""Next year from this year (copy with every date moved, weekends and public holidays pointed
out, an unknown year said plainly) and the concentrated days of a campaign per township."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.campaigns.calendar import date_notices, day_kind
from portal.reference.models import Campaign, ConcentratedDay, Hospital


def _day(db_session, campaign, township, on, hospital=None):
    day = ConcentratedDay(township_id=township.id, campaign_id=campaign.id, day=on,
                          capacity_physical=30, note="带户口簿")
    if hospital is not None:
        day.hospitals = [hospital]
    db_session.add(day)
    db_session.flush()
    return day


def test_the_official_calendar_is_used_and_an_unknown_year_is_said():
    assert day_kind(date(2026, 10, 1))[0] == "holiday"  # National Day
    assert day_kind(date(2026, 10, 10)) == (None, "")  # a make-up working Saturday
    assert day_kind(date(2026, 3, 7)) == ("weekend", "")
    assert day_kind(date(2026, 3, 9)) == (None, "")
    notices, unknown = date_notices([("a", date(2099, 5, 2)), ("b", date(2099, 5, 4))])
    assert unknown == [2099]  # no exception: only weekends are pointed out
    assert [(n.what, n.kind) for n in notices] == [("a", "weekend")]


def test_copy_moves_every_date_and_points_out_holidays(today, english, login_as, make_user,
                                                       post, db_session, make_campaign,
                                                       make_township):
    source = make_campaign("mangshi-2025", status="active", start=date(2025, 3, 3),
                           document_number="芒政办发〔2025〕1号")
    township = make_township()
    hospital = Hospital(name="芒市人民医院")
    db_session.add(hospital)
    db_session.flush()
    _day(db_session, source, township, date(2025, 5, 8), hospital)
    login_as(make_user("city_admin"))
    form = english.get(f"/city/campaigns/{source.id}/copy").get_data(as_text=True)
    assert "The campaign starts on 2025-03-03 now." in form
    response = post(f"/city/campaigns/{source.id}/copy", {"shift_days": "365"})
    assert response.status_code == 302
    draft = db_session.scalars(select(Campaign).where(Campaign.code == "mangshi-2026")).one()
    assert (draft.status, draft.copied_from_id, draft.document_number) == (
        "draft", source.id, None)
    assert draft.starts_on == date(2026, 3, 3)
    assert [(p.starts_on, p.ends_on) for p in draft.phases] == [
        (date(2026, 3, 3), date(2026, 4, 15)), (date(2026, 5, 6), date(2026, 5, 29))]
    assert [t.deadline for t in draft.targets] == [date(2026, 12, 31)]
    days = db_session.scalars(select(ConcentratedDay).where(
        ConcentratedDay.campaign_id == draft.id)).all()
    assert [(d.day, d.capacity_physical, d.note, [h.name for h in d.hospitals])
            for d in days] == [(date(2026, 5, 8), 30, "带户口簿", ["芒市人民医院"])]
    assert source.status == "active"  # the copy changes nothing of the source
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "campaign.copied")).one()
    assert event.details["shift_days"] == 365
    page = english.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="date-notices"' not in page  # every moved date is a working day
    # 511 days later the township's day falls on National Day.
    again = post(f"/city/campaigns/{source.id}/copy", {"shift_days": "511"})
    later = db_session.scalars(select(Campaign).where(Campaign.code == "mangshi-2026-2")).one()
    assert later.starts_on == date(2026, 7, 27)
    notices = english.get(again.headers["Location"]).get_data(as_text=True)
    notices = notices.split('id="date-notices"')[1].split("</ul>")[0]
    assert f"2026-10-01 · Concentrated day of {township.name}: public holiday (National Day)" \
        in notices
    assert "Target deadline" not in notices  # 2027-05-26 is a Wednesday


def test_a_copy_into_a_year_the_calendar_does_not_know(today, english, login_as, make_user,
                                                       post, db_session, make_campaign):
    source = make_campaign("mangshi-2026", status="active", start=date(2026, 3, 2))
    login_as(make_user("city_admin"))
    response = post(f"/city/campaigns/{source.id}/copy", {"new_start": "2027-03-01"})
    assert response.status_code == 302
    page = english.get(response.headers["Location"])
    assert page.status_code == 200
    assert "The official holiday calendar of 2027 is not known" in page.get_data(as_text=True)


def test_copy_needs_days_or_a_start(today, english, login_as, make_user, post, make_campaign):
    source = make_campaign()
    login_as(make_user("city_admin"))
    page = post(f"/city/campaigns/{source.id}/copy", {"new_start": ""}).get_data(as_text=True)
    assert "Enter a number of days or a new start date." in page


def test_days_of_a_campaign(today, english, login_as, make_user, post, db_session,
                            make_campaign, make_township):
    draft = make_campaign("new-2026", start=date(2026, 3, 9))
    township = make_township()
    hospital = Hospital(name="德宏州医院")
    db_session.add(hospital)
    db_session.flush()
    login_as(make_user("city_admin"))
    fields = {"township": str(township.id), "hospitals": str(hospital.id), "status": "planned",
              "capacity_vision": "5", "capacity_hearing": "5", "capacity_speech": "0",
              "capacity_physical": "20", "capacity_intellectual": "5", "capacity_mental": "5",
              "capacity_multiple": "0", "note": ""}
    url = f"/city/campaigns/{draft.id}/days/new"
    # In the concentrated phase: saved without a warning.
    response = post(url, dict(fields, day="2026-05-07"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The concentrated day was added." in page and "outside" not in page
    # Outside the concentrated phase: saved, with a warning.
    response = post(url, dict(fields, day="2026-06-10"), follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "The concentrated day was added." in page
    assert "2026-06-10 is outside the concentrated phase" in page
    # In the past, for a draft not recorded as history: refused next to the date.
    response = post(url, dict(fields, day="2026-02-20"))
    assert response.status_code == 200
    assert "This date is in the past" in response.get_data(as_text=True)
    # Twice the same date in a township: refused.
    response = post(url, dict(fields, day="2026-05-07"))
    assert "already has a concentrated day" in response.get_data(as_text=True)
    days = db_session.scalars(select(ConcentratedDay).where(
        ConcentratedDay.campaign_id == draft.id).order_by(ConcentratedDay.day)).all()
    assert [d.day for d in days] == [date(2026, 5, 7), date(2026, 6, 10)]
    edit = f"/city/campaigns/{draft.id}/days/{days[0].id}/edit"
    assert english.get(edit).status_code == 200
    response = post(edit, dict(fields, day="2026-05-08", capacity_physical="25"))
    assert response.status_code == 302
    db_session.expire_all()
    assert (days[0].day, days[0].capacity_physical) == (date(2026, 5, 8), 25)
    other = make_campaign("other-2027", start=date(2027, 3, 1))
    assert english.get(f"/city/campaigns/{other.id}/days/{days[0].id}/edit").status_code == 404


def test_a_campaign_without_dates_is_not_copied(today, english, login_as, make_user, post,
                                                db_session):
    bare = Campaign(code="bare", name="无日期活动")
    db_session.add(bare)
    db_session.flush()
    login_as(make_user("city_admin"))
    response = post(f"/city/campaigns/{bare.id}/copy", {"shift_days": "365"})
    assert response.status_code == 200
    assert "The campaign has no start date to shift from." in response.get_data(as_text=True)
    assert db_session.scalars(select(Campaign)).all() == [bare]
