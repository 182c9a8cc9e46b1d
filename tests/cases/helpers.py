"""Shared set-up of the case and review tests: a township with staff, city officials, doctors
and a person, and a way to put a case in a given state for a test's starting point."""
from __future__ import annotations

import html
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.models import Case, CaseEvent
from portal.cases.services import create_case
from portal.tenancy import access_for


def text(response) -> str:
    """The response body with HTML entities decoded."""
    return html.unescape(response.get_data(as_text=True))


def access(user, township=None):
    """The user's access in `township` (city-wide when None), as a request would build it."""
    return access_for(user, township)


def place(case: Case, state: str, **fields) -> Case:
    """Test set-up only: put a case where a test starts (the workflow is tested elsewhere)."""
    case.state = state
    for name, value in fields.items():
        setattr(case, name, value)
    return case


def events_of(db_session, case: Case) -> list[CaseEvent]:
    return db_session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()


def audits_of(db_session, case: Case) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.object_type == "cases",
                                 AuditEvent.object_id == case.id).order_by(AuditEvent.id)).all()


@pytest.fixture
def world(db_session, make_township, make_user, make_person):
    """One township with its staff, two city administrators, three doctors and a person."""
    township = make_township()
    village = min(township.villages, key=lambda v: v.name)
    staff = make_user("township_staff", township)
    w = SimpleNamespace(
        township=township, village=village, staff=staff,
        other_staff=make_user("township_staff", township),
        city=make_user("city_admin"), approver=make_user("city_admin"),
        supervisor=make_user("supervisor"),
        liaison=make_user("village_liaison", township, [village]),
        doctor=make_user("doctor"), second_doctor=make_user("doctor"),
        other_doctor=make_user("doctor"),
        person=make_person(township, name="李四", village=village, list_kind="suspected"),
    )

    def new_case(state: str = "registered", person=None, creator=None, **fields) -> Case:
        case = create_case(township, creator or staff, person or w.person, kind="issue",
                           path="concentrated")
        place(case, state, **fields)
        db_session.flush()
        return case

    w.new_case = new_case
    return w
