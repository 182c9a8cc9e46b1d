"""Every view of a full ID number, a medical record, assessment measurements or a recording
is an audit event naming who, what and on which object (and why, when a reason was given)."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.assessments.models import Assessment
from portal.audit.models import AuditEvent
from portal.certificates.models import Certificate
from portal.certificates.services import create_print_batch, mark_batch_printed
from portal.domain.certificate import make_number
from portal.evidence.services import store_upload
from portal.storage import LocalStore
from tests.cases.helpers import access, place, world  # noqa: F401
from tests.jobs.helpers import exported

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" + b"%%EOF\n"
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 4000


@pytest.fixture(autouse=True)
def _english(english):
    return english


@pytest.fixture
def local_store(app, tmp_path):
    previous = app.extensions.get("evidence_store")
    app.extensions["evidence_store"] = store = LocalStore(tmp_path / "evidence")
    yield store
    app.extensions["evidence_store"] = previous


def _events(db_session, action: str, obj_type: str, obj_id: int) -> list[AuditEvent]:
    return db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == action,
                                 AuditEvent.object_type == obj_type,
                                 AuditEvent.object_id == obj_id).order_by(AuditEvent.id)).all()


def _get(client, url):
    response = client.get(url)
    response.get_data()
    response.close()
    assert response.status_code in (200, 303), (url, response.status_code)
    return response


def test_reveal_on_the_person_page_keeps_the_reason_without_numbers(
        world, client, post, login_as, db_session):  # noqa: F811
    login_as(world.staff)
    url = f"/t/{world.township.code}/persons/{world.person.id}/reveal"
    page = post(url, {"reason": "call about the day, 13912345678 / " + world.person.id_number})
    assert world.person.id_number in page.get_data(as_text=True)
    [event] = _events(db_session, "person.reveal", "persons", world.person.id)
    assert event.actor_id == world.staff.id
    assert event.details["reason"].startswith("call about the day")
    assert "13912345678" not in str(event.details)
    assert world.person.id_number[:10] not in str(event.details)
    # Without a reason the reveal is still recorded, with no reason key.
    post(url, {"reason": ""})
    assert "reason" not in _events(db_session, "person.reveal", "persons",
                                   world.person.id)[-1].details
    # A reason too long is a human error, not a reveal.
    response = post(url, {"reason": "x" * 201}, follow_redirects=True)
    assert "at most 200 characters" in response.get_data(as_text=True)
    assert world.person.id_number not in response.get_data(as_text=True)
    assert len(_events(db_session, "person.reveal", "persons", world.person.id)) == 2


def test_every_full_id_medical_and_recording_view_is_audited(
        world, client, post, login_as, db_session, app, local_store):  # noqa: F811
    code = world.township.code
    # A certificate: its data sheet prints the certificate number, the whole ID in it.
    case = world.new_case("under_review")
    place(case, "approved", kind="issue", category="physical", grade=2,
          certificate_number=make_number(world.person.id_number, "physical", 2),
          approved_by_id=world.approver.id, approved_at=datetime(2020, 9, 1, tzinfo=UTC))
    db_session.flush()
    batch = create_print_batch(world.city, access(world.city), [case],
                               issue_date=date(2020, 9, 10))
    mark_batch_printed(batch, world.city, access(world.city), today=date(2020, 9, 10))
    certificate = db_session.scalars(
        select(Certificate).where(Certificate.case_id == case.id)).one()
    # Medical evidence and a recording of the same case; an assessment with measurements.
    items = {kind: store_upload(case=case, stream=io.BytesIO(content), filename=name,
                                claimed_type=None, kind=kind, actor=world.staff,
                                store=local_store, config=app.config)
             for kind, content, name in (("medical_record", PDF, "record.pdf"),
                                         ("recording", MP4, "session.mp4"))}
    assessment = Assessment(township_id=world.township.id, case_id=case.id,
                            doctor_id=world.doctor.id, method="in_person", category="physical",
                            measurements={"limb": "x"}, age_years=50, grade=2)
    db_session.add(assessment)
    db_session.flush()

    login_as(world.city)
    _get(client, f"/city/certificates/sheets/{certificate.id}.pdf")
    # The batch's sheets are written by a job: it audits the reveal for the asker.
    assert exported(client, post,
                    f"/city/certificates/batches/{batch.id}/sheets.pdf").status_code == 200
    sheets = _events(db_session, "person.reveal", "persons", world.person.id)
    assert [(e.actor_id, e.details["via"], e.details["fields"]) for e in sheets] == [
        (world.city.id, "certificate_sheet", ["id_number"])] * 2

    login_as(world.staff)
    for kind, evidence in items.items():
        base = f"/t/{code}/evidence/cases/{case.id}/items/{evidence.id}"
        _get(client, base)
        _get(client, base + "/download")
        for action in ("evidence.view", "evidence.download"):
            [event] = _events(db_session, action, "evidence", evidence.id)
            assert event.actor_id == world.staff.id and event.details["kind"] == kind

    _get(client, f"/t/{code}/assessments/{case.id}")
    [event] = _events(db_session, "assessment.view", "assessments", assessment.id)
    assert event.actor_id == world.staff.id and event.details["case_id"] == case.id
