"""Only the township office, and the doctor who assesses the case itself, may invite a guardian
(an invite makes its holder someone who sees the person)."""
from __future__ import annotations

import pytest

from portal.cases.models import Case
from tests.conftest import enrol_test_totp


@pytest.fixture
def case_world(db_session, make_township, make_user, make_person):
    township = make_township()
    village = township.villages[0]
    staff = make_user("township_staff", township)
    doctor = make_user("doctor")
    person = make_person(township, village=village, poverty_registered=True)
    case = Case(township_id=township.id, person_id=person.id, kind="issue", path="video",
                state="registered", requested_category="physical", created_by_id=staff.id,
                doctor_id=doctor.id)
    db_session.add(case)
    db_session.flush()
    return township, village, staff, doctor, person, case


def _invite_page(client, township, case):
    return client.get(f"/t/{township.code}/guardian-invites/cases/{case.id}")


def test_the_office_and_the_case_doctor_may_invite(case_world, client, login_as, make_user):
    township, _, staff, doctor, _, case = case_world
    for user in (staff, doctor, make_user("city_admin")):
        login_as(user)
        assert _invite_page(client, township, case).status_code == 200


def test_a_liaison_who_is_also_a_doctor_may_not_invite_for_cases_of_others(
        case_world, client, login_as, db_session, make_user, make_person):
    """A doctor's right to invite is for the cases they assess, not for every case their other
    roles let them see."""
    from portal.auth.services import add_membership

    township, village, staff, _, person, _ = case_world
    liaison_doctor = make_user("village_liaison", township, [village])
    add_membership(liaison_doctor, "doctor", None, None)
    enrol_test_totp(liaison_doctor)  # doctors need the second factor
    other = Case(township_id=township.id, person_id=person.id, kind="issue",
                 path="concentrated_day", state="withdrawn", requested_category="physical",
                 created_by_id=staff.id)
    theirs = Case(township_id=township.id, person_id=make_person(township, village=village).id,
                  kind="issue", path="video", state="registered", requested_category="physical",
                  created_by_id=staff.id, doctor_id=liaison_doctor.id)
    db_session.add_all([other, theirs])
    db_session.flush()
    login_as(liaison_doctor)
    assert _invite_page(client, township, theirs).status_code == 200
    assert client.get(f"/t/{township.code}/cases/{other.id}").status_code == 200
    assert _invite_page(client, township, other).status_code == 403


@pytest.mark.parametrize("role", ["village_liaison", "poverty_cadre", "supervisor",
                                  "health_coordinator"])
def test_roles_that_see_the_case_but_do_not_invite_are_refused(case_world, client, login_as,
                                                               make_user, db_session, role):
    from portal.rosters.models import PovertyAssignment

    township, village, _, _, person, case = case_world
    if role == "village_liaison":
        user = make_user(role, township, [village])
    elif role == "poverty_cadre":
        user = make_user(role, township)
        db_session.add(PovertyAssignment(township_id=township.id, user_id=user.id,
                                         person_id=person.id))
        db_session.flush()
    else:
        user = make_user(role)
    login_as(user)
    assert client.get(f"/t/{township.code}/cases/{case.id}").status_code == 200
    assert _invite_page(client, township, case).status_code == 403
