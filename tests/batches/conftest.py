"""Fixtures of the organised batches' tests: townships, cases, a hospital, audit lookups.

Pages stay in Chinese (the default) here: the refusals are asserted in the words people read."""
from datetime import date

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent


@pytest.fixture
def events(db_session):
    """The audit actions recorded so far, in order."""

    def _events(prefix: str = "batch."):
        stmt = select(AuditEvent.action).where(AuditEvent.action.startswith(prefix))
        return list(db_session.scalars(stmt.order_by(AuditEvent.id)))

    return _events


@pytest.fixture
def hospital(db_session):
    from portal.reference.models import Hospital

    found = Hospital(name="芒市人民医院（测试）")
    db_session.add(found)
    db_session.flush()
    return found


@pytest.fixture
def make_case(db_session, make_person, make_user):
    """A registered case of a new person of `township` (path and category as given)."""
    from portal.cases.models import Case
    from portal.rosters.models import RosterEntry

    creators = {}

    def _make(township, *, category="intellectual", path="concentrated", name="张三",
              records=None):
        if township.id not in creators:
            creators[township.id] = make_user("township_staff", township)
        person = make_person(township, name=name, village=township.villages[0])
        if records is not None:
            entry = db_session.scalars(select(RosterEntry)
                                       .where(RosterEntry.person_id == person.id)).one()
            entry.medical_records = records
        case = Case(township_id=township.id, person_id=person.id, kind="issue", path=path,
                    state="registered", requested_category=category,
                    created_by_id=creators[township.id].id)
        db_session.add(case)
        db_session.flush()
        return case

    return _make


def batch_form(hospital, **fields) -> dict:
    data = {"organiser": "township", "unit": "0", "category": "intellectual",
            "hospital": hospital.id, "held_on": date(2020, 5, 20).isoformat(), "places": "2",
            "transport": "乡政府门口 7:30 集合，中巴车", "companions": "乡残联干部、监护人"}
    data.update(fields)
    return data
