"""Every doctor on a home-visit team reaches the visit's case, not only the case's doctor."""
from datetime import date, time

from portal.scheduling.models import HomeVisit, HomeVisitMember


def test_second_doctor_on_the_team_sees_the_case(client, login_as, make_township, make_user,
                                                 make_case, db_session):
    town = make_township()
    staff = make_user("township_staff", town)
    first, second, outsider = (make_user("doctor") for _ in range(3))
    case = make_case(town, path="home_visit")
    case.doctor_id = first.id
    visit = HomeVisit(township_id=town.id, case_id=case.id, visit_date=date(2020, 5, 20),
                      starts_at=time(9), ends_at=time(10), created_by_id=staff.id)
    for doctor in (first, second):
        visit.members.append(HomeVisitMember(township_id=town.id, user_id=doctor.id,
                                             is_doctor=True))
    db_session.add(visit)
    db_session.flush()

    login_as(second)
    assert client.get(f"/t/{town.code}/cases/{case.id}").status_code == 200
    login_as(outsider)
    assert client.get(f"/t/{town.code}/cases/{case.id}").status_code == 404
