"""A handover done on paper before it was entered: the window, the reason, the timeline."""
from __future__ import annotations

from datetime import date

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
from portal.refusals import Refused
from tests.cases.helpers import access, place, text


def _received_certificate(world, db_session):
    case = world.new_case("under_review")
    place(case, "approved", category="physical", grade=2,
          certificate_number=make_number(world.person.id_number, "physical", 2),
          approved_by_id=world.approver.id)
    db_session.flush()
    city = access(world.city)
    batch = create_print_batch(world.city, city, [case], issue_date=date(2020, 9, 1))
    mark_batch_printed(batch, world.city, city, today=date(2020, 9, 1))
    dispatch = create_dispatch_batch(world.city, city, world.township, today=date(2020, 9, 2))
    acknowledge_receipt(dispatch, world.staff, counted=1, today=date(2020, 9, 3))
    return case, db_session.scalars(select(Certificate).where(Certificate.case_id == case.id)).one()


def _handover(world, certificate, **kwargs):
    return record_handover(certificate, world.staff, access(world.staff, world.township),
                           receiver_name="李四", relation="self",
                           id_last_digits=world.person.id_number[-4:], **kwargs)


@pytest.mark.parametrize(("handed_on", "reason", "code"), [
    (date(2020, 9, 15), "", "date_in_future"),
    (date(2020, 9, 11), "", "late_reason_required"),
    (date(2020, 9, 6), "found the receipt", "date_too_old"),
])
def test_service_refusals(world, db_session, handed_on, reason, code):
    case, certificate = _received_certificate(world, db_session)
    with pytest.raises(Refused) as refused:
        _handover(world, certificate, handed_on=handed_on, today=date(2020, 9, 14),
                  late_reason=reason)
    assert refused.value.code == code
    assert case.state == "dispatched"


def test_handover_on_friday_entered_on_monday(world, db_session, clock, client, post,
                                              login_as, english):
    case, certificate = _received_certificate(world, db_session)
    clock.day = date(2020, 9, 14)
    login_as(world.staff)
    url = f"/t/{world.township.code}/certificates/{certificate.id}/handover"
    form = {"receiver_name": "李四", "relation": "self",
            "id_last_digits": world.person.id_number[-4:], "handed_on": "2020-09-04"}
    page = text(post(url, dict(form, late_reason="late")))
    assert 'id="handed_on-error"' in page and "more than 7 days ago" in page
    page = text(post(url, dict(form, handed_on="2020-09-11")))
    assert 'id="late_reason-error"' in page
    assert post(url, dict(form, handed_on="2020-09-11",
                          late_reason="handed over at the village meeting")).status_code == 302
    db_session.refresh(case)
    assert case.state == "issued"
    assert certificate.handover.handed_on == date(2020, 9, 11)
    event = case.events[-1]
    assert (event.action, event.happened_on, event.actor_id, event.late_reason) == (
        "issue", date(2020, 9, 11), world.staff.id, "handed over at the village meeting")
    page = text(client.get(f"/t/{world.township.code}/cases/{case.id}"))
    assert "Certificate handed over" in page and "Entered late" in page
