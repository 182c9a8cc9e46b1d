"""Two townships of the county and a holder of the first with a certificate and a history: a
finished case with its timeline, printed certificate and handover, a guardian, a cadre."""
from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent

DAY0 = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def clock(app, monkeypatch):
    """The portal's own clock setting (PORTAL_TODAY): `clock.move_to(day)` moves today."""
    def move_to(day: date) -> date:
        monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", day)
        return day

    move_to(DAY0)
    return SimpleNamespace(move_to=move_to)


@pytest.fixture
def events(db_session):
    def _events(action: str):
        return db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).all()

    return _events


def _history(db_session, township, person, staff):
    """A finished issue case of `person`: its timeline, the certificate printed, sent,
    received and handed over, the register entry it made."""
    from portal.cases.models import Case, CaseEvent
    from portal.certificates.models import (
        Certificate,
        DispatchBatch,
        Handover,
        PrintBatch,
    )
    from portal.register.models import HolderEntry

    case = Case(township_id=township.id, person_id=person.id, kind="issue", path="concentrated",
                state="issued", requested_category="physical", created_by_id=staff.id,
                category="physical", grade=2, certificate_number=person.id_number + "42")
    db_session.add(case)
    db_session.flush()
    db_session.add(CaseEvent(township_id=township.id, case_id=case.id, actor_id=staff.id,
                             action="register", from_state=None, to_state="registered"))
    batch = PrintBatch(township_id=township.id, state="printed", issue_date=date(2025, 9, 1),
                       created_by_id=staff.id)
    parcel = DispatchBatch(township_id=township.id, sent_count=1, sent_by_id=staff.id,
                           sent_on=date(2025, 9, 2))
    db_session.add_all([batch, parcel])
    db_session.flush()
    certificate = Certificate(
        township_id=township.id, case_id=case.id, live_case_id=case.id, person_id=person.id,
        number=person.id_number + "42", category="physical", grade=2,
        issue_date=date(2025, 9, 1), expires_on=date(2035, 9, 1), token=f"tr-{person.id}",
        print_batch_id=batch.id, printed_on=date(2025, 9, 1), dispatch_batch_id=parcel.id)
    db_session.add(certificate)
    db_session.flush()
    db_session.add(Handover(township_id=township.id, certificate_id=certificate.id,
                            receiver_name=person.name, relation="self",
                            handed_on=date(2025, 9, 10), handed_by_id=staff.id,
                            created_at=datetime(2025, 9, 10, 2, tzinfo=UTC)))
    db_session.add(HolderEntry(township_id=township.id, person_id=person.id,
                               certificate_number=certificate.number, category="physical",
                               grade=2, issued_on=date(2025, 9, 1),
                               expires_on=date(2035, 9, 1), source="handover",
                               certificate_id=certificate.id))
    person.certificate_number = certificate.number
    person.certificate_category, person.certificate_grade = "physical", 2
    person.certificate_expires_on = date(2035, 9, 1)
    db_session.flush()
    return SimpleNamespace(case=case, certificate=certificate, parcel=parcel)


@pytest.fixture
def county(db_session, make_township, make_user, make_person, clock):
    """Townships A and B (and C, uninvolved), each with staff; a holder of A with history,
    a guardian and a cadre; estimates of 10 disabled persons each."""
    from portal.dashboards.services import set_estimate
    from portal.rosters.models import Guardianship, PovertyAssignment

    a, b, c = (make_township(villages=(f"{n}一村", f"{n}二村")) for n in "甲乙丙")
    admin = make_user("city_admin")
    w = SimpleNamespace(
        a=a, b=b, c=c, admin=admin,
        staff_a=make_user("township_staff", a), staff_b=make_user("township_staff", b),
        staff_c=make_user("township_staff", c),
        cadre=make_user("poverty_cadre", a), guardian=make_user("guardian"),
    )
    w.person = make_person(a, name="迁移人", village=a.villages[0], list_kind="expired",
                           phone="13912345678", address="甲乡老街1号",
                           poverty_registered=True)
    w.history = _history(db_session, a, w.person, w.staff_a)
    db_session.add_all([
        Guardianship(township_id=a.id, user_id=w.guardian.id, person_id=w.person.id,
                     relation="child"),
        PovertyAssignment(township_id=a.id, user_id=w.cadre.id, person_id=w.person.id),
    ])
    for township in (a, b, c):
        set_estimate(township, admin, 10)
    db_session.flush()
    return w
