"""The campaign end to end through the web: a person on a roster reaches an approved
certificate number by records review, with the deadlines counted in real working days."""
from datetime import date, datetime

import pytest
from sqlalchemy import select

import portal.clock
from portal.cases.models import Case
from portal.doctors.models import DoctorCertification
from portal.reference.models import Hospital


class _FrozenClock(datetime):
    day = date(2020, 5, 13)

    @classmethod
    def now(cls, tz=None):
        return datetime(cls.day.year, cls.day.month, cls.day.day, 10, 0, tzinfo=tz)


@pytest.fixture
def frozen(monkeypatch):
    monkeypatch.setattr(portal.clock, "datetime", _FrozenClock)
    _FrozenClock.day = date(2020, 5, 13)
    return _FrozenClock


def _case(db_session, person) -> Case:
    db_session.expire_all()
    return db_session.scalars(select(Case).where(Case.person_id == person.id)).one()


def test_person_to_approved_certificate_by_records_review(
    client, post, login_as, make_township, make_user, make_person, db_session, frozen
):
    town = make_township()
    staff = make_user("township_staff", town)
    doctor = make_user("doctor")
    city = make_user("city_admin")
    hospital = Hospital(name="芒市人民医院")
    db_session.add(hospital)
    db_session.flush()
    db_session.add(DoctorCertification(
        user_id=doctor.id, number="DH-2019-001", hospital_id=hospital.id,
        categories=["physical"], valid_from=date(2019, 1, 1), valid_until=date(2024, 12, 31),
        active=True))
    person = make_person(town, name="岩温", list_kind="suspected")
    base = f"/t/{town.code}"

    login_as(staff)
    response = post(f"{base}/cases/new/{person.id}", {"kind": "issue", "path": "records"})
    assert response.status_code == 302
    case = _case(db_session, person)
    assert case.state == "registered"
    assert post(f"{base}/cases/{case.id}/doctor", {"doctor_id": doctor.id}).status_code == 302

    login_as(doctor)
    response = post(f"{base}/assessments/{case.id}/new?category=physical", {
        "method": "records", "limb_clause": "quadriplegia", "limb_without_aids": "y",
        "outcome": "1", "sign": "1",
    })
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    case = _case(db_session, person)
    assert (case.state, case.category, case.grade) == ("assessed", "physical", 1)

    login_as(staff)
    assert post(f"{base}/cases/{case.id}/steps/start_publicity",
                {"starts_on": "2020-05-13"}).status_code == 302
    case = _case(db_session, person)
    # 5 working days after Wednesday 13 May 2020: 14, 15, 18, 19, 20 May.
    assert (case.state, case.publicity_ends_on) == ("publicity", date(2020, 5, 20))
    post(f"{base}/cases/{case.id}/steps/end_publicity", {})
    assert _case(db_session, person).state == "publicity"  # the notice is still up

    frozen.day = date(2020, 5, 21)
    assert post(f"{base}/cases/{case.id}/steps/end_publicity", {}).status_code == 302
    case = _case(db_session, person)
    # 10 working days after 21 May 2020: 22, 25–29 May, 1–4 June.
    assert (case.state, case.review_due_on) == ("under_review", date(2020, 6, 4))
    # The township cannot approve its own case.
    assert post(f"{base}/cases/{case.id}/steps/approve", {}).status_code == 403

    login_as(city)
    assert post(f"{base}/cases/{case.id}/steps/approve", {}).status_code == 302
    case = _case(db_session, person)
    assert case.state == "approved"
    assert case.certificate_number == person.id_number + "41"
    assert [e.action for e in case.events] == [
        "register", "assign_doctor", "record_assessment", "start_publicity", "end_publicity",
        "approve",
    ]
