"""Home visits: booking, the doctor's double booking across townships, outcomes, access."""
import html
from datetime import date

import pytest
from sqlalchemy import select

from portal.scheduling.models import HomeVisit


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def town(make_township):
    return make_township()


@pytest.fixture
def doctor(make_user, db_session):
    user = make_user("doctor", username="dr_visit")
    user.display_name = "李医生"
    db_session.flush()
    return user


def _booking(case, doctor, start, end, **extra):
    return {"case": case.id, "visit_date": "2020-05-20", "starts_at": start, "ends_at": end,
            "address": "", "doctors": [doctor.id], "notes": "", **extra}


def _bedridden_case(make_case, township, name="孙八"):
    return make_case(township, path="home_visit", category="physical", name=name,
                     mobility="bedridden", address="一村3组12号")


def test_booking_schedules_the_case_and_gives_it_a_doctor(
        client, post, town, doctor, make_user, login_as, make_case, db_session, events):
    staff = login_as(make_user("township_staff", town))
    case = _bedridden_case(make_case, town)
    page = text(client.get(f"/t/{town.code}/schedule/visits/new?case={case.id}"))
    assert "一村3组12号" in page  # the address is prefilled from the person
    response = post(f"/t/{town.code}/schedule/visits/new",
                    _booking(case, doctor, "09:00", "10:00", staff=[staff.id]))
    assert response.status_code == 302
    visit = db_session.scalars(select(HomeVisit).where(HomeVisit.case_id == case.id)).one()
    assert visit.address == "一村3组12号"
    assert [u.id for u in visit.doctors] == [doctor.id]
    assert [u.id for u in visit.staff] == [staff.id]
    db_session.refresh(case)
    assert (case.state, case.doctor_id) == ("scheduled", doctor.id)
    assert events("schedule.visit_booked")
    # The calendar of the week and of the doctor show the visit.
    week = text(client.get(f"/t/{town.code}/schedule/visits?week=2020-05-18"))
    assert "09:00–10:00" in week and "孙八" in week
    mine = text(client.get(
        f"/t/{town.code}/schedule/visits?week=2020-05-18&member={doctor.id}"))
    assert "09:00–10:00" in mine
    other = text(client.get(
        f"/t/{town.code}/schedule/visits?week=2020-05-18&member={staff.id + 1000}"))
    assert "09:00–10:00" not in other
    # The doctor on the team sees the visit in the township.
    login_as(doctor)
    assert client.get(f"/t/{town.code}/schedule/visits/{visit.id}").status_code == 200


def test_only_immobile_applicants_on_the_home_visit_path(
        post, town, doctor, make_user, login_as, make_case, db_session):
    login_as(make_user("township_staff", town))
    travels = make_case(town, path="home_visit", mobility="can_travel")
    concentrated = make_case(town, path="concentrated", mobility="bedridden")
    for case in (travels, concentrated):
        response = post(f"/t/{town.code}/schedule/visits/new",
                        _booking(case, doctor, "09:00", "10:00"))
        assert response.status_code == 422
        db_session.refresh(case)
        assert case.state == "registered"


def test_double_booked_doctor_is_refused_across_townships(
        post, make_township, doctor, make_user, login_as, make_case, db_session):
    town_a, town_b = make_township(), make_township()
    staff_a, staff_b = make_user("township_staff", town_a), make_user("township_staff", town_b)
    case_a = _bedridden_case(make_case, town_a, name="甲某")
    case_b = _bedridden_case(make_case, town_b, name="乙某")
    login_as(staff_a)
    assert post(f"/t/{town_a.code}/schedule/visits/new",
                _booking(case_a, doctor, "10:00", "11:00")).status_code == 302

    login_as(staff_b)
    response = post(f"/t/{town_b.code}/schedule/visits/new",
                    _booking(case_b, doctor, "10:30", "11:30"))
    assert response.status_code == 422
    page = text(response)
    assert "李医生 already has a home visit from 10:00 to 11:00 on that date" in page
    assert "甲某" not in page  # the other township's applicant is not named
    db_session.refresh(case_b)
    assert case_b.state == "registered"

    # A window that merely touches the other one (11:00–12:00) is fine.
    response = post(f"/t/{town_b.code}/schedule/visits/new",
                    _booking(case_b, doctor, "11:00", "12:00"))
    assert response.status_code == 302
    db_session.refresh(case_b)
    assert case_b.state == "scheduled"


def test_a_window_must_end_after_it_starts(post, town, doctor, make_user, login_as,
                                           make_case):
    login_as(make_user("township_staff", town))
    case = _bedridden_case(make_case, town)
    response = post(f"/t/{town.code}/schedule/visits/new", _booking(case, doctor, "11:00",
                                                                     "10:00"))
    assert response.status_code == 422
    assert "The visit must end after it starts." in text(response)


def _booked_visit(post, town, case, doctor, db_session):
    assert post(f"/t/{town.code}/schedule/visits/new",
                _booking(case, doctor, "09:00", "10:00")).status_code == 302
    return db_session.scalars(select(HomeVisit).where(HomeVisit.case_id == case.id)).one()


def test_moved_to_video_changes_the_path(post, town, doctor, make_user, login_as, make_case,
                                         db_session, events):
    login_as(make_user("township_staff", town))
    case = _bedridden_case(make_case, town)
    visit = _booked_visit(post, town, case, doctor, db_session)
    response = post(f"/t/{town.code}/schedule/visits/{visit.id}/outcome",
                    {"outcome-outcome": "moved_to_video", "outcome-note": "路不通"})
    assert response.status_code == 302
    db_session.refresh(visit)
    db_session.refresh(case)
    assert (visit.status, visit.outcome) == ("done", "moved_to_video")
    assert (case.path, case.state) == ("video", "registered")
    [changed] = events("case.path_changed")
    assert (changed.object_id, changed.details["to"]) == (case.id, "video")
    # A closed visit takes no second outcome.
    response = post(f"/t/{town.code}/schedule/visits/{visit.id}/outcome",
                    {"outcome-outcome": "assessed"}, follow_redirects=True)
    assert "This visit is already closed." in text(response)
    db_session.refresh(visit)
    assert visit.outcome == "moved_to_video"


def test_not_at_home_keeps_the_case_on_its_path(post, town, doctor, make_user, login_as,
                                                make_case, db_session):
    login_as(make_user("township_staff", town))
    case = _bedridden_case(make_case, town)
    visit = _booked_visit(post, town, case, doctor, db_session)
    assert post(f"/t/{town.code}/schedule/visits/{visit.id}/outcome",
                {"outcome-outcome": "not_at_home"}).status_code == 302
    db_session.refresh(case)
    assert (case.path, case.state) == ("home_visit", "scheduled")


def test_cancelling_frees_the_doctor_and_the_case(post, town, doctor, make_user, login_as,
                                                  make_case, db_session):
    login_as(make_user("township_staff", town))
    case = _bedridden_case(make_case, town)
    visit = _booked_visit(post, town, case, doctor, db_session)
    assert post(f"/t/{town.code}/schedule/visits/{visit.id}/cancel",
                {"cancel-csrf_token": ""}).status_code == 302
    db_session.refresh(visit)
    db_session.refresh(case)
    assert (visit.status, case.state) == ("cancelled", "registered")
    other = _bedridden_case(make_case, town, name="周九")
    assert post(f"/t/{town.code}/schedule/visits/new",
                _booking(other, doctor, "09:00", "10:00")).status_code == 302


def test_liaison_cannot_book_and_foreign_visits_are_404(
        client, post, make_township, doctor, make_user, login_as, make_case, db_session):
    town, foreign_town = make_township(), make_township()
    login_as(make_user("township_staff", foreign_town))
    foreign_case = _bedridden_case(make_case, foreign_town)
    foreign_visit = _booked_visit(post, foreign_town, foreign_case, doctor, db_session)
    case = _bedridden_case(make_case, town)
    login_as(make_user("village_liaison", town, [town.villages[0]]))
    assert client.get(f"/t/{town.code}/schedule/visits/new").status_code == 403
    assert post(f"/t/{town.code}/schedule/visits/new",
                _booking(case, doctor, "09:00", "10:00")).status_code == 403
    login_as(make_user("township_staff", town))
    assert client.get(f"/t/{town.code}/schedule/visits/{foreign_visit.id}").status_code == 404
    assert post(f"/t/{town.code}/schedule/visits/{foreign_visit.id}/outcome",
                {"outcome-outcome": "assessed"}).status_code == 404
    assert client.get(f"/t/{foreign_town.code}/schedule/visits").status_code == 404
    assert date(2020, 5, 20) == foreign_visit.visit_date
