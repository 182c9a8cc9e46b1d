"""Marking a print batch printed takes one workflow step per card. When a later card is refused
(its case was withdrawn after the batch was made), the request's unit of work
(portal/uow.py) takes back the cards already marked: the batch stays open and whole."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.cases.models import Case, CaseEvent
from portal.certificates.models import Certificate, PrintBatch
from portal.certificates.services import create_print_batch
from tests.cases.helpers import access, place, text


def _state(db_session, batch, cases) -> dict:
    db_session.expire_all()
    ids = [c.id for c in cases]
    return {
        "batch": db_session.get(PrintBatch, batch.id).state,
        "cases": [db_session.get(Case, i).state for i in ids],
        "printed_cards": db_session.scalar(select(func.count(Certificate.id)).where(
            Certificate.print_batch_id == batch.id, Certificate.printed_on.is_not(None))),
        "print_events": db_session.scalar(select(func.count(CaseEvent.id)).where(
            CaseEvent.case_id.in_(ids), CaseEvent.action == "print")),
        "audit": db_session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action.in_(("case.print", "certificate.print_batch_printed")))),
    }


def test_a_refused_card_leaves_the_whole_batch_unprinted(world, approved, client, post,
                                                         login_as, db_session):
    first, second = approved(name="王五"), approved(name="赵六")
    batch = create_print_batch(world.city, access(world.city), [first, second],
                               issue_date=date(2020, 9, 10))
    place(second, "withdrawn")  # after the batch was made: its card can no longer be printed
    db_session.flush()
    login_as(world.city)
    url = f"/city/certificates/batches/{batch.id}"
    response = post(f"{url}/printed", {})
    assert response.status_code == 302 and response.headers["Location"].endswith(url)
    assert "This step is not possible in the case's current state." in text(client.get(url))
    assert _state(db_session, batch, [first, second]) == {
        "batch": "open", "cases": ["approved", "withdrawn"], "printed_cards": 0,
        "print_events": 0, "audit": 0}
    # Nothing half-done stands in the way: with the case approved again, both are printed.
    place(db_session.get(Case, second.id), "approved")
    db_session.flush()
    assert post(f"{url}/printed", {}).status_code == 302
    assert _state(db_session, batch, [first, second]) == {
        "batch": "printed", "cases": ["printed", "printed"], "printed_cards": 2,
        "print_events": 2, "audit": 3}
