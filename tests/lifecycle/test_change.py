"""Change (变更) of a holder's details, and a category or grade change as a re-assessment,
end to end through the pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from portal.cases.services import take_step
from portal.domain.certificate import make_number
from portal.refusals import Refused
from tests.cases.helpers import access, place, text
from tests.lifecycle.conftest import PDF, PNG, TODAY, deliver, life_url, upload
from tests.lifecycle.helpers import counted_as_holder, scan, the_request


def _form(person, **changes):
    form = {"name": person.name, "address": person.address or "",
            "village": str(person.village_id or ""), "guardian_name": person.guardian_name,
            "guardian_phone": person.guardian_phone, "note": ""}
    form.update(changes)
    return form


def test_a_name_change_prints_a_new_card_with_the_same_number(
        world, holder, client, post, login_as, db_session):
    person, old_card = holder("王五")
    login_as(world.staff)
    url = life_url(world.township, f"persons/{person.id}/change")
    assert "王五" in text(client.get(url))
    assert post(url, _form(person, name="王五一", address="芒市镇新村1号", new_photo="y")
                ).status_code == 302
    request = the_request(db_session, person, "change")
    assert set(request.changes) == {"name", "address", "photo"} and request.reprint
    assert request.changes["name"] == {"old": "王五", "new": "王五一"}
    assert person.name == "王五"  # nothing changes before the city approves
    submit = life_url(world.township, f"requests/{request.id}/submit")
    assert "proves the change" in text(post(submit, {}, follow_redirects=True))
    upload(post, world.township, request.id, kind="signed_form", content=PDF)
    assert "kind “Photo”" in text(post(submit, {}, follow_redirects=True))
    upload(post, world.township, request.id, kind="photo", content=PNG, name="new.png")
    assert post(submit, {}).status_code == 302
    db_session.refresh(request)
    assert request.state == "submitted" and request.checked_by_id == world.staff.id
    login_as(world.city)
    assert post(life_url(world.township, f"requests/{request.id}/decide"),
                {"decision": "approve", "note": "household register checked"}
                ).status_code == 302
    db_session.refresh(request)
    db_session.refresh(person)
    assert (person.name, person.address, person.name_pinyin) == (
        "王五一", "芒市镇新村1号", "wang wu yi")
    assert request.state == "new_card" and old_card.status == "valid"
    new_card = deliver(world, request.reissue_case)
    db_session.refresh(old_card)
    db_session.refresh(request)
    assert new_card.number == old_card.number and new_card.person.name == "王五一"
    assert (old_card.status, request.state) == ("void", "completed")
    assert "Void" in scan(client, old_card) and "Valid" in scan(client, new_card)
    assert counted_as_holder(db_session, person)
    # The new card's data sheet comes from the certificate office's own print path.
    sheet = client.get(f"/city/certificates/sheets/{new_card.id}.pdf")
    assert sheet.status_code == 200 and sheet.data.startswith(b"%PDF")
    # The old card comes back.
    login_as(world.staff)
    assert post(life_url(world.township, f"requests/{request.id}/card-collected"),
                {"collected_on": TODAY.isoformat()}).status_code == 302
    db_session.refresh(request)
    assert request.card_collected is True and request.card_collected_on == TODAY


def test_a_document_is_served_and_its_viewing_audited(world, holder, client, post, login_as,
                                                      db_session):
    person, _card = holder()
    login_as(world.staff)
    post(life_url(world.township, f"persons/{person.id}/change"),
         _form(person, address="新地址"))
    request = the_request(db_session, person, "change")
    upload(post, world.township, request.id, kind="signed_form", content=PDF)
    (document,) = request.documents
    assert (document.content_type, document.size) == ("application/pdf", len(PDF))
    response = client.get(life_url(world.township,
                                   f"requests/{request.id}/documents/{document.id}"))
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Cache-Control"] == "private, no-store"
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "certificate_life.document_viewed")).first() is not None
    page = text(upload(post, world.township, request.id, kind="photo", content=b"plain text"))
    assert "cannot be kept as this kind of document" in page
    assert len(request.documents) == 1


def test_a_village_change_needs_no_new_card(world, holder, post, login_as, db_session):
    person, card = holder()
    other = next(v for v in world.township.villages if v.id != person.village_id)
    login_as(world.staff)
    post(life_url(world.township, f"persons/{person.id}/change"),
         _form(person, village=str(other.id)))
    request = the_request(db_session, person, "change")
    assert not request.reprint
    upload(post, world.township, request.id, kind="signed_form")
    post(life_url(world.township, f"requests/{request.id}/submit"), {})
    login_as(world.city)
    post(life_url(world.township, f"requests/{request.id}/decide"), {"decision": "approve"})
    db_session.refresh(request)
    db_session.refresh(person)
    assert (request.state, person.village_id) == ("completed", other.id)
    assert request.reissue_case_id is None and card.status == "valid"


def test_nothing_changed_and_bad_values_are_said_next_to_the_form(world, holder, post,
                                                                 login_as, db_session):
    person, _card = holder()
    login_as(world.staff)
    url = life_url(world.township, f"persons/{person.id}/change")
    assert "Nothing differs" in text(post(url, _form(person)))
    assert "Not a phone number" in text(post(url, _form(person, guardian_phone="abc")))
    assert the_request(db_session, person, "change") is None


def test_the_official_who_checked_cannot_decide(world, holder, post, login_as, db_session):
    person, _card = holder()
    login_as(world.city)  # the city office may register a request itself
    post(life_url(world.township, f"persons/{person.id}/change"), _form(person, address="x"))
    request = the_request(db_session, person, "change")
    upload(post, world.township, request.id, kind="signed_form")
    post(life_url(world.township, f"requests/{request.id}/submit"), {})
    decide = life_url(world.township, f"requests/{request.id}/decide")
    assert "Another official of the city" in text(post(decide, {"decision": "approve"}))
    db_session.refresh(request)
    assert request.state == "submitted" and request.decided_by_id is None
    login_as(world.approver)
    assert "Write the reason" in text(post(decide, {"decision": "reject"}))
    assert post(decide, {"decision": "reject", "note": "no proof"}).status_code == 302
    db_session.refresh(request)
    assert request.state == "rejected" and person.address != "x"


def test_a_category_or_grade_change_is_a_reassessment_ending_in_a_new_certificate(
        world, holder, client, post, login_as, db_session):
    person, old_card = holder("钱七")
    login_as(world.staff)
    response = post(life_url(world.township, f"persons/{person.id}/reassessment"),
                    {"path": "concentrated", "requested_category": "",
                     "note": "condition worse since the stroke"})
    assert response.status_code == 302
    case = db_session.scalars(select(Case).where(Case.person_id == person.id,
                                                 Case.kind == "change")).one()
    assert (case.state, case.origin, case.requested_category) == (
        "registered", "walk_in", "physical")
    assert the_request(db_session, person, "change") is None  # not a change of details
    # The grade check and the public notice apply as to any application.
    place(case, "assessed", category="physical", grade=1, doctor_id=world.doctor.id)
    staff = access(world.staff, world.township)
    with pytest.raises(Refused):
        take_step(case, "approve", actor=world.approver, access=access(world.approver))
    take_step(case, "start_publicity", actor=world.staff, access=staff, today=TODAY)
    later = TODAY + timedelta(days=10)
    take_step(case, "end_publicity", actor=world.staff, access=staff, today=later)
    take_step(case, "approve", actor=world.approver, access=access(world.approver), today=later)
    assert case.certificate_number == make_number(person.id_number, "physical", 1)
    new_card = deliver(world, case)
    db_session.refresh(old_card)
    assert new_card.number != old_card.number and new_card.grade == 1
    assert old_card.status == "cancelled"
    cancelled = the_request(db_session, person, "cancellation")
    assert (cancelled.reason, cancelled.state, cancelled.certificate_number) == (
        "reassessed", "completed", old_card.number)
    assert cancelled.assessment_case_id == case.id
    assert "Cancelled" in scan(client, old_card) and counted_as_holder(db_session, person)
