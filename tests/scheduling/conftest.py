"""Fixtures of the scheduling tests: English pages, cases, days, audit lookups."""
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def events(db_session):
    """The audit events with `action`, oldest first."""

    def _events(action: str):
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return db_session.scalars(stmt).all()

    return _events


@pytest.fixture
def make_case(db_session, make_person, make_user):
    """A case of a new person of `township` (path, category and state as given)."""
    from portal.cases.models import Case

    creators = {}

    def _make(township, *, path="concentrated", category="hearing", state="registered",
              name="张三", village=None, **person_fields):
        if township.id not in creators:
            creators[township.id] = make_user("township_staff", township)
        person = make_person(township, name=name, village=village, **person_fields)
        case = Case(township_id=township.id, person_id=person.id, kind="issue", path=path,
                    state=state, requested_category=category,
                    created_by_id=creators[township.id].id)
        db_session.add(case)
        db_session.flush()
        return case

    return _make


@pytest.fixture
def make_day(db_session):
    """A concentrated day of `township` with places per category."""
    from portal.reference.models import ConcentratedDay, Hospital

    def _make(township, on=date(2020, 5, 12), **capacities):
        hospital = db_session.scalars(select(Hospital).where(Hospital.name == "测试医院")).first()
        if hospital is None:
            hospital = Hospital(name="测试医院")
            db_session.add(hospital)
        day = ConcentratedDay(township_id=township.id, day=on,
                              **{f"capacity_{c}": n for c, n in capacities.items()})
        day.hospitals = [hospital]
        db_session.add(day)
        db_session.flush()
        return day

    return _make
