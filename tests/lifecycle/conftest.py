"""Fixtures of the certificate-life tests: holders whose certificate the portal handed over
(through the real print, dispatch and handover services) or that the register of holders
knows from the national database, a fixed today, and helpers for documents and new cards."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.certificates.models import Certificate
from portal.certificates.services import (
    acknowledge_receipt,
    create_dispatch_batch,
    create_print_batch,
    mark_batch_printed,
    record_handover,
)
from portal.domain.certificate import make_number
from portal.register.models import HolderEntry
from tests.cases.helpers import access, place, world  # noqa: F401

TODAY = date(2021, 3, 1)
PDF = b"%PDF-1.4\n% a signed declaration\n" + b"0" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 200


@pytest.fixture(autouse=True)
def _today(app, monkeypatch):
    """Today is 2021-03-01 for every rule, service and page of these tests."""
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", TODAY)
    return TODAY


@pytest.fixture(autouse=True)
def _english(english):
    """Pages in English so that assertions do not depend on the translation catalogue."""
    return english


def card_of(db_session, case) -> Certificate:
    return db_session.scalars(select(Certificate).where(Certificate.case_id == case.id)).one()


def deliver(w, case, *, day: date = TODAY) -> Certificate:
    """Print, send, receive and hand over the certificate of an approved case."""
    city = access(w.city)
    batch = create_print_batch(w.city, city, [case], issue_date=day)
    mark_batch_printed(batch, w.city, city, today=day)
    dispatch = create_dispatch_batch(w.city, city, w.township, today=day)
    acknowledge_receipt(dispatch, w.staff, counted=1, today=day)
    certificate = card_of(w.db, case)
    record_handover(certificate, w.staff, access(w.staff, w.township),
                    receiver_name=case.person.name, relation="self",
                    id_last_digits=case.person.id_number[-4:], handed_on=day, today=day)
    w.db.refresh(certificate)
    return certificate


@pytest.fixture
def holder(world, make_person, db_session):  # noqa: F811
    """A holder whose physical grade-2 certificate the portal handed over 30 days ago."""
    world.db = db_session

    def _make(name="王五", **fields):
        person = make_person(world.township, name=name, village=world.village, **fields)
        case = world.new_case("under_review", person=person)
        place(case, "approved", category="physical", grade=2,
              certificate_number=make_number(person.id_number, "physical", 2),
              approved_by_id=world.approver.id, approved_at=datetime(2021, 1, 5, tzinfo=UTC))
        db_session.flush()
        return person, deliver(world, case, day=TODAY - timedelta(days=30))

    return _make


@pytest.fixture
def listed_holder(world, make_person, db_session):  # noqa: F811
    """A holder the register knows from the national database's export (no portal card)."""
    world.db = db_session

    def _make(name="赵六", **fields):
        person = make_person(world.township, name=name, village=world.village,
                             list_kind=None, **fields)
        db_session.add(HolderEntry(
            township_id=world.township.id, person_id=person.id,
            certificate_number=make_number(person.id_number, "hearing", 3), category="hearing",
            grade=3, issued_on=date(2016, 5, 1), expires_on=date(2026, 5, 1),
            source="national_db"))
        db_session.flush()
        return person

    return _make


def upload(post, township, request_id, kind="statement", content=PDF, name="doc.pdf"):
    return post(f"/t/{township.code}/certificate-life/requests/{request_id}/documents",
                {"kind": kind, "file": (io.BytesIO(content), name)},
                content_type="multipart/form-data")


def life_url(township, path: str) -> str:
    return f"/t/{township.code}/certificate-life/{path}"
