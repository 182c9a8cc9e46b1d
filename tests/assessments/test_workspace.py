"""The doctor's workspace lists only their own cases, by path and date, ID numbers masked."""
from datetime import date, time

from portal.reference.models import ConcentratedDay
from portal.scheduling.models import HomeVisit


def test_workspace_lists_only_own_cases(client, login_as, make_township, make_user,
                                        make_person, make_case, db_session):
    township, other_township = make_township(), make_township()
    doctor, colleague = make_user("doctor"), make_user("doctor")
    mine = make_case(make_person(township, name="王小明"), doctor)
    reviewing = make_case(make_person(other_township, name="赵小红"), colleague,
                          state="second_review", second_doctor=doctor)
    not_mine = make_case(make_person(township, name="钱不见"), colleague)
    login_as(doctor)
    page = client.get("/doctor/").get_data(as_text=True)
    assert "王小明" in page and "赵小红" in page
    assert "钱不见" not in page
    assert mine.person.id_number not in page and mine.person.id_number[-2:] in page
    assert f"/assessments/{mine.id}/new" in page
    assert f"/assessments/{reviewing.id}/review" in page
    assert f"/assessments/{not_mine.id}" not in page


def test_workspace_groups_by_path_and_date(client, login_as, make_township, make_user,
                                           make_person, make_case, db_session):
    township = make_township()
    doctor = make_user("doctor")
    day = ConcentratedDay(township_id=township.id, day=date(2020, 5, 12))
    db_session.add(day)
    db_session.flush()
    at_day = make_case(make_person(township, name="集中甲"), doctor)
    at_day.concentrated_day_id = day.id
    at_home = make_case(make_person(township, name="上门乙"), doctor, path="home_visit")
    db_session.add(HomeVisit(township_id=township.id, case_id=at_home.id,
                             visit_date=date(2020, 5, 20), starts_at=time(9),
                             ends_at=time(11), created_by_id=doctor.id))
    db_session.flush()
    login_as(doctor)
    page = client.get("/doctor/").get_data(as_text=True)
    first = page.index("2020-05-12 · At a concentrated day")
    second = page.index("2020-05-20 · At home")
    assert first < page.index("集中甲") < second < page.index("上门乙")


def test_workspace_is_for_doctors_only(client, login_as, make_user, make_township):
    login_as(make_user("township_staff", make_township()))
    assert client.get("/doctor/").status_code == 404
    login_as(make_user("city_admin"))
    assert client.get("/doctor/").status_code == 404


def test_workspace_warns_an_uncertified_doctor(client, login_as, make_user):
    login_as(make_user("doctor"))
    assert "Ask the health coordinator to register it" in client.get("/doctor/").get_data(
        as_text=True)
