"""Fixtures of the evidence tests: the store under test installed in the app, a township with
staff, a doctor and a case, sample files of each type."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from tests.storage.s3 import s3_endpoint, store  # noqa: F401

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 2000
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 500
PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"%%EOF\n"
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 4000
WEBM = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm" + b"\x00" * 500
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 500
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


@pytest.fixture
def app_store(app, store):  # noqa: F811 (the fixture imported above)
    """The store under test, used by the app's views and commands."""
    previous = app.extensions.get("evidence_store")
    app.extensions["evidence_store"] = store
    yield store
    if previous is None:
        app.extensions.pop("evidence_store", None)
    else:
        app.extensions["evidence_store"] = previous


@pytest.fixture
def world(db_session, make_township, make_user, make_person):
    """Two townships; in the first a case with staff, a liaison of another village, the
    case's doctor and an unassigned doctor."""
    from portal.cases.models import Case

    township, other = make_township(), make_township()
    villages = sorted(township.villages, key=lambda v: v.name)
    staff = make_user("township_staff", township)
    person = make_person(township, village=villages[0])
    doctor = make_user("doctor")
    case = Case(township_id=township.id, person_id=person.id, kind="issue", path="records",
                created_by_id=staff.id, doctor_id=doctor.id)
    db_session.add(case)
    db_session.flush()
    return SimpleNamespace(
        township=township, other=other, staff=staff, person=person, case=case, doctor=doctor,
        other_doctor=make_user("doctor"),
        liaison=make_user("village_liaison", township, [villages[0]]),
        far_liaison=make_user("village_liaison", township, [villages[1]]),
        other_staff=make_user("township_staff", other),
    )


@pytest.fixture
def audits(db_session):
    def _audits(action: str):
        return db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                  .order_by(AuditEvent.id)).all()

    return _audits


def case_url(w, suffix: str = "") -> str:
    """URL of the evidence pages of the world's case."""
    return f"/t/{w.township.code}/evidence/cases/{w.case.id}{suffix}"


def stored_keys(target) -> list[str]:
    return sorted(target.iter_keys("townships/"))
