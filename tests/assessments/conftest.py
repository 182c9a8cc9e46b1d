"""Helpers of the assessment and doctors' registry tests: hospitals, certifications, cases."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.clock import local_today


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def hospital(db_session):
    from portal.reference.models import Hospital

    h = Hospital(name="测试州医院")
    db_session.add(h)
    db_session.flush()
    return h


@pytest.fixture
def certify(db_session, hospital):
    """Give a doctor account a certification (valid a year around today by default)."""
    from portal.doctors.models import DoctorCertification

    counter = iter(range(1, 10_000))

    def _certify(user, categories=("physical",), *, valid_from=None, valid_until=None,
                 active=True):
        today = local_today()
        cert = DoctorCertification(
            user_id=user.id, number=f"PC-{next(counter):04d}", hospital_id=hospital.id,
            categories=list(categories), valid_from=valid_from or today - timedelta(days=365),
            valid_until=valid_until or today + timedelta(days=365), active=active,
        )
        db_session.add(cert)
        db_session.flush()
        return cert

    return _certify


@pytest.fixture
def make_case(db_session, make_user):
    """A case row of a person, assigned to a doctor (the cases pages create them in use)."""
    from portal.cases.models import Case

    def _make(person, doctor=None, *, state="scheduled", path="concentrated",
              requested_category="physical", created_by=None, second_doctor=None):
        creator = created_by or make_user("township_staff", _township(db_session, person))
        case = Case(township_id=person.township_id, person_id=person.id, kind="issue",
                    path=path, state=state, requested_category=requested_category,
                    created_by_id=creator.id, doctor_id=doctor.id if doctor else None,
                    second_doctor_id=second_doctor.id if second_doctor else None)
        db_session.add(case)
        db_session.flush()
        return case

    return _make


def _township(db_session, person):
    from portal.reference.models import Township

    return db_session.get(Township, person.township_id)


@pytest.fixture
def events(db_session):
    """The audit events with `action`, oldest first."""

    def _events(action: str):
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return db_session.scalars(stmt).all()

    return _events


@pytest.fixture
def person_aged(make_person):
    """A person of `township` who is `years` old today (where the campaign runs)."""
    from portal.doctors.services import local_today
    from portal.domain import idcard

    counter = iter(range(100, 999))

    def _make(township, years: int, *, days_after_birthday: int = 10, **fields):
        today = local_today()
        birthday = today - timedelta(days=days_after_birthday)
        try:
            birth = birthday.replace(year=birthday.year - years)
        except ValueError:  # 29 February
            birth = (birthday - timedelta(days=1)).replace(year=birthday.year - years)
        number = idcard.make("533103", birth, next(counter))
        return make_person(township, id_number=number, **fields)

    return _make


@pytest.fixture
def setup(make_township, make_user, certify, person_aged, make_case):
    """A township, a certified doctor (all categories), a 40-year-old person, their case."""

    def _setup(age: int = 40, categories=("vision", "hearing", "speech", "physical",
                                          "intellectual", "mental", "multiple"),
               requested_category="physical"):
        township = make_township()
        doctor = make_user("doctor")
        certify(doctor, categories)
        person = person_aged(township, age)
        case = make_case(person, doctor, requested_category=requested_category)
        return {"township": township, "doctor": doctor, "person": person, "case": case}

    return _setup


@pytest.fixture
def sign(post, login_as, db_session):
    """Submit the assessment form of `case` as `doctor` (button: sign or preview)."""

    def _sign(case, doctor, category, values=None, *, button="sign", login=True, **decision):
        from portal.reference.models import Township

        if login:
            login_as(doctor)
        code = db_session.get(Township, case.township_id).code
        data = {"method": "concentrated", "outcome": "4", button: "y"}
        data.update(values or {})
        data.update(decision)
        return post(f"/t/{code}/assessments/{case.id}/new?category={category}", data=data)

    return _sign
