"""Fixtures of the petition tests: two townships, the officials of every handling unit, a guardian
with an applicant and a case, the portal's own movable clock, and helpers to read pages."""
from __future__ import annotations

import html
from datetime import date
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.services import create_case
from portal.petitions.models import Petition, PetitionEvent
from portal.petitions.services import (
    NewPetition,
    Subject,
    default_unit,
    record_petition,
)
from portal.petitions.units import Unit
from portal.rosters.models import Guardianship
from portal.tenancy import access_for

START = date(2026, 3, 2)  # a Monday


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


class Clock:
    """The portal's today, moved through its own setting (CLOCK_FIXED_TODAY, as PORTAL_TODAY
    sets it), for every request of the test."""

    def __init__(self, app, monkeypatch):
        self._app, self._monkeypatch = app, monkeypatch
        self.set(START)

    def set(self, day: date) -> date:
        self._monkeypatch.setitem(self._app.config, "CLOCK_FIXED_TODAY", day)
        self.today = day
        return day


@pytest.fixture
def clock(app, monkeypatch):
    return Clock(app, monkeypatch)


@pytest.fixture
def world(db_session, make_township, make_user, make_person, clock):
    """Township A (two staff) and B, two city DPF administrators, a supervisor, a health
    coordinator, and a guardian acting for a person of A who has a case."""
    a, b = make_township(), make_township()
    village = min(a.villages, key=lambda v: v.name)
    w = SimpleNamespace(
        a=a, b=b, village=village,
        staff=make_user("township_staff", a), other_staff=make_user("township_staff", a),
        staff_b=make_user("township_staff", b),
        city=make_user("city_admin"), approver=make_user("city_admin"),
        supervisor=make_user("supervisor"), health=make_user("health_coordinator"),
        other_health=make_user("health_coordinator"),
        guardian=make_user("guardian"), other_guardian=make_user("guardian"),
        liaison=make_user("village_liaison", a, [village]),
        person=make_person(a, name="岩保", village=village),
    )
    w.case = create_case(a, w.staff, w.person, kind="issue", path="concentrated")
    db_session.add(Guardianship(township_id=a.id, user_id=w.guardian.id, person_id=w.person.id,
                                relation="child"))
    db_session.flush()

    def petition(*, township=a, about_staff=False, unit=None, name="信访人甲", case=None,
                 received_on=None, channel="phone", actor=None, filed_by=None) -> Petition:
        subject = Subject(township_id=township.id if township else None,
                          about_township_staff=about_staff,
                          case_id=case.id if case else None,
                          person_id=case.person_id if case else None)
        new = NewPetition(channel=channel, category="assessment", content="对评残结果有异议",
                          petitioner_name=name, petitioner_phone="13900001111", subject=subject,
                          unit=unit or default_unit(subject),
                          received_on=received_on or clock.today,
                          late_reason="补录" if received_on and received_on < clock.today else "",
                          filed_by_id=filed_by.id if filed_by else None)
        made = record_petition(new, actor=actor or w.staff)
        db_session.flush()
        return made

    w.petition = petition
    w.Unit = Unit
    return w


def access(user, township=None):
    """The user's access (in `township`, or city-wide), as a request builds it."""
    return access_for(user, township)


def events_of(db_session, petition) -> list[str]:
    return list(db_session.scalars(select(PetitionEvent.action).where(
        PetitionEvent.petition_id == petition.id).order_by(PetitionEvent.id)))


def audits_of(db_session, petition) -> list[str]:
    return list(db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "petitions", AuditEvent.object_id == petition.id)
        .order_by(AuditEvent.id)))


@pytest.fixture
def sign_in(app, login_as):
    """`login_as`, with the login rate limit reset first: a flow here logs in many times
    (tests/auth tests the limit itself)."""
    from portal.extensions import limiter

    def _sign_in(user):
        with app.app_context():
            limiter.reset()
        return login_as(user)

    return _sign_in
