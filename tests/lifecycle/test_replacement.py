"""Replacement (补办) of a lost or damaged card, end to end through the pages and the
certificate office's own print, dispatch and handover."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.certificates.models import Certificate
from tests.cases.helpers import text
from tests.lifecycle.conftest import PDF, card_of, deliver, life_url, upload
from tests.lifecycle.helpers import counted_as_holder, scan, the_request


def test_a_lost_card_is_void_and_replaced_by_a_card_with_the_same_number(
        world, holder, client, post, login_as, db_session):
    person, old_card = holder("王五")
    login_as(world.staff)
    response = post(life_url(world.township, f"persons/{person.id}/replacement"),
                    {"reason": "lost", "note": "lost at the market"})
    assert response.status_code == 302
    request = the_request(db_session, person, "replacement")
    assert (request.state, request.reason, request.certificate_number) == (
        "draft", "lost", old_card.number)
    # The written loss declaration first.
    page = text(post(life_url(world.township, f"requests/{request.id}/submit"), {},
                     follow_redirects=True))
    assert "written loss declaration" in page
    assert request.state == "draft" and old_card.status == "valid"
    assert upload(post, world.township, request.id).status_code == 302
    assert post(life_url(world.township, f"requests/{request.id}/submit"), {}
                ).status_code == 302
    db_session.refresh(request)
    db_session.refresh(old_card)
    assert request.state == "submitted" and old_card.status == "void"
    assert request.old_card_void_on == date(2021, 3, 1)
    # The old card's QR check says void, and nothing about the holder or the certificate.
    page = scan(client, old_card)
    assert "Void" in page and "replaced by a new card" in page
    for secret in ("王五", person.id_number, old_card.number, "Physical", "2030"):
        assert secret not in page
    # Meanwhile the holder still holds the certificate.
    assert counted_as_holder(db_session, person)
    # The city approves; the township staff who checked it cannot.
    assert post(life_url(world.township, f"requests/{request.id}/decide"),
                {"decision": "approve"}).status_code == 403
    login_as(world.city)
    response = post(life_url(world.township, f"requests/{request.id}/decide"),
                    {"decision": "approve"})
    assert response.status_code == 302
    db_session.refresh(request)
    assert request.state == "new_card" and request.card_serial == 2
    case = request.reissue_case
    assert (case.kind, case.state, case.certificate_number) == (
        "replacement", "approved", old_card.number)
    # It waits for the next print batch with the other approved cases.
    assert "王五" in text(client.get("/city/certificates/batches/new"))
    # The new card takes the certificate office's own path, with the certificate's dates.
    new_card = deliver(world, case)
    assert new_card.id != old_card.id and new_card.number == old_card.number
    assert (new_card.issue_date, new_card.expires_on) == (old_card.issue_date,
                                                        old_card.expires_on)
    assert new_card.token != old_card.token
    assert new_card.handover is not None and case.state == "issued"
    db_session.refresh(request)
    assert request.state == "completed" and request.new_certificate_id == new_card.id
    assert "Valid" in scan(client, new_card) and "Void" in scan(client, old_card)
    assert counted_as_holder(db_session, person)
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "certificate_life.card_void")).first() is not None
    page = text(client.get(life_url(world.township, f"requests/{request.id}")))
    assert "card no. 2 of this certificate" in page and "New card handed over" in page


def test_a_damaged_card_must_be_handed_back(world, holder, post, login_as, db_session):
    person, card = holder()
    login_as(world.staff)
    url = life_url(world.township, f"persons/{person.id}/replacement")
    page = text(post(url, {"reason": "damaged"}))
    assert "only once it has been handed back" in page
    assert the_request(db_session, person, "replacement") is None
    assert post(url, {"reason": "damaged", "damaged_card_returned": "y"}).status_code == 302
    request = the_request(db_session, person, "replacement")
    assert request.card_collected is True
    # No declaration is needed for a returned card.
    assert post(life_url(world.township, f"requests/{request.id}/submit"), {}
                ).status_code == 302
    db_session.refresh(card)
    assert card.status == "void"


def test_a_register_holder_gets_a_portal_card_with_the_register_number(
        world, listed_holder, client, post, login_as, db_session):
    person = listed_holder()
    login_as(world.staff)
    post(life_url(world.township, f"persons/{person.id}/replacement"), {"reason": "lost"})
    request = the_request(db_session, person, "replacement")
    upload(post, world.township, request.id, content=PDF)
    post(life_url(world.township, f"requests/{request.id}/submit"), {})
    login_as(world.approver)
    post(life_url(world.township, f"requests/{request.id}/decide"), {"decision": "approve"})
    db_session.refresh(request)
    assert request.card_serial == 2  # the national database's card was the first
    card = deliver(world, request.reissue_case)
    assert card.number == request.certificate_number and card.category == "hearing"
    assert (card.issue_date, card.expires_on) == (date(2016, 5, 1), date(2026, 5, 1))
    assert db_session.scalars(select(Certificate).where(
        Certificate.person_id == person.id)).all() == [card]
    assert counted_as_holder(db_session, person)
    assert card_of(db_session, request.reissue_case) == card
