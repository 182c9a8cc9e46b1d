"""Certificates from print to hand: batches, receipt, handover, overdue lists, verification."""
from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.workflow import apply_transition
from portal.certificates.models import Certificate, DispatchBatch, Handover, PrintBatch
from portal.certificates.services import (
    acknowledge_receipt,
    create_dispatch_batch,
    create_print_batch,
    mark_batch_printed,
    overdue_certificate_counts,
    overdue_certificates,
    record_handover,
    signed_token,
)
from portal.refusals import Refused
from tests.cases.helpers import access, events_of, text
from tests.jobs.helpers import exported

D = date.fromisoformat
PRINTED_ON, SENT_ON, RECEIVED_ON = D("2020-09-10"), D("2020-09-11"), D("2020-09-12")


def _printed(world, cases, today=PRINTED_ON):
    city = access(world.city)
    batch = create_print_batch(world.city, city, cases, issue_date=today)
    mark_batch_printed(batch, world.city, city, today=today)
    return batch


def _received(world, cases, sent=SENT_ON, received=RECEIVED_ON):
    _printed(world, cases)
    dispatch = create_dispatch_batch(world.city, access(world.city), world.township, today=sent)
    acknowledge_receipt(dispatch, world.staff, counted=len(cases), today=received)
    return dispatch


def _cert(db_session, case) -> Certificate:
    return db_session.scalars(select(Certificate).where(Certificate.case_id == case.id)).one()


# --- print batches ---------------------------------------------------------------------------

def test_a_case_can_be_in_only_one_live_batch(world, approved, db_session):
    case = approved()
    city = access(world.city)
    first = create_print_batch(world.city, city, [case], issue_date=D("2020-09-10"))
    with pytest.raises(Refused) as refused:
        create_print_batch(world.city, city, [case], issue_date=D("2020-09-10"))
    assert refused.value.code == "certificate_already_in_batch"
    assert f"#{first.id}" in refused.value.params["detail"]
    assert db_session.scalars(select(PrintBatch)).all() == [first]


def test_double_batch_refused_on_the_page_with_a_clear_message(world, approved, client, post,
                                                              login_as, db_session):
    case = approved()
    login_as(world.city)
    form = {"cases": [case.id], "issue_date": "2020-09-10", "township": 0}
    assert post("/city/certificates/batches/new", form).status_code == 302
    page = post("/city/certificates/batches/new", form)
    assert page.status_code == 200
    assert "already in a live print batch" in text(page)
    assert len(db_session.scalars(select(PrintBatch)).all()) == 1


def test_cancelled_batch_frees_its_cases(world, approved, db_session, client, post, login_as):
    case = approved()
    login_as(world.city)
    post("/city/certificates/batches/new", {"cases": [case.id], "issue_date": "2020-09-10"})
    batch = db_session.scalars(select(PrintBatch)).one()
    response = post(f"/city/certificates/batches/{batch.id}/cancel", {"note": "wrong date"})
    assert response.status_code == 302
    db_session.refresh(batch)
    assert batch.state == "cancelled"
    assert _cert(db_session, case).status == "cancelled"
    post("/city/certificates/batches/new", {"cases": [case.id], "issue_date": "2020-09-11"})
    assert len(db_session.scalars(select(PrintBatch)).all()) == 2


def test_printing_moves_the_case_through_the_workflow(world, approved, db_session):
    case = approved()
    batch = _printed(world, [case])
    certificate = _cert(db_session, case)
    assert case.state == "printed" and batch.state == "printed"
    assert certificate.number == case.certificate_number
    assert (certificate.issue_date, certificate.expires_on) == (D("2020-09-10"), D("2030-09-10"))
    assert certificate.token not in certificate.number
    assert [e.action for e in events_of(db_session, case)][-1] == "print"


def test_print_step_only_through_the_certificate_pages(world, approved):
    case = approved()
    with pytest.raises(Refused) as refused:
        apply_transition(case, "print", actor=world.city, access=access(world.city))
    assert refused.value.code == "use_certificate_pages"
    assert case.state == "approved"


def test_reprint_is_recorded_with_who_and_why(world, approved, db_session, client, post,
                                             login_as):
    case = approved()
    _printed(world, [case])
    certificate = _cert(db_session, case)
    login_as(world.city)
    url = f"/city/certificates/certificates/{certificate.id}/reprint"
    assert "Write why" in text(post(url, {"reason": ""}))
    assert post(url, {"reason": "card jammed in the printer"}).status_code == 302
    (reprint,) = certificate.reprints
    assert (reprint.actor_id, reprint.reason) == (world.city.id, "card jammed in the printer")
    page = text(client.get(f"/city/certificates/batches/{certificate.print_batch_id}"))
    assert "card jammed in the printer" in page


def test_data_sheet_is_a_pdf(world, approved, db_session, client, post, login_as):
    case = approved()
    _printed(world, [case])
    certificate = _cert(db_session, case)
    login_as(world.city)
    response = client.get(f"/city/certificates/sheets/{certificate.id}.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    # A batch's sheets are a job's file (tests/certificates/test_sheet_jobs.py).
    batch = exported(client, post,
                     f"/city/certificates/batches/{certificate.print_batch_id}/sheets.pdf")
    assert batch.status_code == 200 and batch.mimetype == "application/pdf"
    assert batch.data.startswith(b"%PDF")
    for pdf in (response, batch):  # full ID numbers inside: no caching, loads nothing
        assert pdf.headers["Cache-Control"] == "private, no-store"
        assert pdf.headers["X-Content-Type-Options"] == "nosniff"
        assert pdf.headers["Content-Security-Policy"].startswith("default-src 'none'")
    login_as(world.supervisor)
    assert client.get(f"/city/certificates/sheets/{certificate.id}.pdf").status_code == 403


# --- dispatch and receipt --------------------------------------------------------------------

def test_dispatch_count_mismatch_is_flagged(world, approved, db_session, client, post,
                                           login_as):
    cases = [approved(name="甲"), approved(name="乙")]
    _printed(world, cases)
    dispatch = create_dispatch_batch(world.city, access(world.city), world.township,
                                     today=D("2020-09-11"))
    assert dispatch.sent_count == 2 and {c.state for c in cases} == {"dispatched"}
    login_as(world.staff)
    url = f"/t/{world.township.code}/certificates/dispatches/{dispatch.id}"
    page = text(post(url, {"counted": "1", "note": ""}))
    assert "explain the difference" in page
    db_session.refresh(dispatch)
    assert not dispatch.received
    assert post(url, {"counted": "1", "note": "one card missing"}).status_code == 302
    db_session.refresh(dispatch)
    assert (dispatch.received_count, dispatch.count_mismatch) == (1, True)
    assert dispatch.received_by_id == world.staff.id and dispatch.received_on is not None
    login_as(world.city)
    assert "count differs" in text(client.get("/city/certificates/"))


def test_matching_count_is_not_flagged_and_receipt_is_once(world, approved, db_session):
    case = approved()
    _printed(world, [case])
    dispatch = create_dispatch_batch(world.city, access(world.city), world.township,
                                     today=D("2020-09-11"))
    acknowledge_receipt(dispatch, world.staff, counted=1, today=D("2020-09-12"))
    assert dispatch.count_mismatch is False
    with pytest.raises(Refused) as refused:
        acknowledge_receipt(dispatch, world.staff, counted=1, today=D("2020-09-12"))
    assert refused.value.code == "certificate_already_received"


# --- handover --------------------------------------------------------------------------------

def test_handover_refused_when_id_digits_do_not_match(world, approved, db_session, client,
                                                      post, login_as, handover_day):
    case = approved()
    _received(world, [case])
    certificate = _cert(db_session, case)
    login_as(world.staff)
    url = f"/t/{world.township.code}/certificates/{certificate.id}/handover"
    last4 = case.person.id_number[-4:]
    wrong = ("0000" if last4 != "0000" else "1111")
    form = {"receiver_name": "王五", "relation": "self", "id_last_digits": wrong,
            "handed_on": "2020-09-13"}
    page = text(post(url, form))
    assert "do not match" in page
    assert certificate.handover is None and case.state == "dispatched"
    # The refusal rolls the request back; the refused check is still audited, once.
    assert len(db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "certificate.handover_id_mismatch")).all()) == 1
    assert post(url, dict(form, id_last_digits=last4, relation="guardian",
                          receiver_name="王父")).status_code == 302
    db_session.refresh(case)
    handover = db_session.scalars(select(Handover)).one()
    assert (handover.receiver_name, handover.relation, handover.id_checked) == (
        "王父", "guardian", True)
    assert case.state == "issued"
    assert case.person.certificate_number == certificate.number


def test_receipt_list_counts_handovers(world, approved, db_session, client, login_as):
    first, second = approved(name="甲"), approved(name="乙")
    dispatch = _received(world, [first, second])
    record_handover(_cert(db_session, first), world.staff, access(world.staff, world.township),
                    receiver_name="甲", relation="self",
                    id_last_digits=first.person.id_number[-4:], handed_on=D("2020-09-13"),
                    today=D("2020-09-13"))
    login_as(world.staff)
    page = text(client.get(
        f"/t/{world.township.code}/certificates/dispatches/{dispatch.id}/receipts"))
    assert "Handed over: 1 of 2" in page
    assert "Signature" in page
    assert first.person.id_number not in page


def test_handover_needs_receipt_first(world, approved, db_session):
    case = approved()
    _printed(world, [case])
    create_dispatch_batch(world.city, access(world.city), world.township, today=D("2020-09-11"))
    with pytest.raises(Refused) as refused:
        record_handover(_cert(db_session, case), world.staff,
                        access(world.staff, world.township), receiver_name="王五",
                        relation="self", id_last_digits=case.person.id_number[-4:],
                        handed_on=D("2020-09-13"), today=D("2020-09-13"))
    assert refused.value.code == "certificate_not_received"


def test_renewal_collects_the_old_certificate_for_destruction(world, approved, db_session,
                                                              client, post, login_as):
    case = approved(kind="renewal", certificate_number="old-number-x")
    _received(world, [case])
    record_handover(_cert(db_session, case), world.staff, access(world.staff, world.township),
                    receiver_name="王五", relation="self",
                    id_last_digits=case.person.id_number[-4:], handed_on=D("2020-09-13"),
                    today=D("2020-09-13"), old_collected=True)
    handover = db_session.scalars(select(Handover)).one()
    assert handover.old_certificate_number == "old-number-x" and handover.old_collected
    login_as(world.city)
    assert "王五" in text(client.get("/city/certificates/destruction"))
    assert post("/city/certificates/destruction", {}).status_code == 302
    db_session.refresh(handover)
    assert handover.old_destroyed_on is not None
    assert "No collected old certificate" in text(client.get("/city/certificates/destruction"))


def test_other_township_cannot_reach_the_handover(world, approved, db_session, client,
                                                  make_township, make_user, login_as):
    case = approved()
    _received(world, [case])
    other = make_township()
    login_as(make_user("township_staff", other))
    certificate = _cert(db_session, case)
    assert client.get(f"/t/{other.code}/certificates/{certificate.id}/handover"
                      ).status_code == 404
    login_as(world.liaison)
    assert client.get(f"/t/{world.township.code}/certificates/{certificate.id}/handover"
                      ).status_code == 403


# --- no withholding --------------------------------------------------------------------------

def test_overdue_certificates_with_fixed_dates(world, approved, db_session):
    # Approved on 1 Sep (Beijing time), printed 10 Sep, sent 11 Sep, received 12 Sep.
    late_print = approved(name="甲", approved_at=datetime(2020, 9, 1, 2, 0, tzinfo=UTC))
    handed = approved(name="乙")
    _received(world, [handed])
    city = access(world.city)
    # 15 days after receipt is still in time, the 16th day is overdue.
    rows = overdue_certificates(city, D("2020-09-27"))
    assert {(r.kind, r.case_id) for r in rows} == {("not_printed", late_print.id)}
    assert rows[0].since == D("2020-09-01") and rows[0].age_days == 26
    rows = overdue_certificates(city, D("2020-09-28"))
    by_kind = {r.kind: r for r in rows}
    assert by_kind["not_handed_over"].case_id == handed.id
    assert (by_kind["not_handed_over"].since, by_kind["not_handed_over"].age_days) == (
        D("2020-09-12"), 16)
    counts = overdue_certificate_counts(city, D("2020-09-28"))
    assert counts[world.township.id] == {"not_printed": 1, "not_handed_over": 1}
    # The township sees its own; a handover takes the certificate off the list.
    staff = access(world.staff, world.township)
    assert len(overdue_certificates(staff, D("2020-09-28"))) == 2
    record_handover(_cert(db_session, handed), world.staff, staff, receiver_name="乙",
                    relation="self", id_last_digits=handed.person.id_number[-4:],
                    handed_on=D("2020-09-28"), today=D("2020-09-28"))
    kinds = [r.kind for r in overdue_certificates(city, D("2020-09-28"))]
    assert kinds == ["not_printed"]


def test_printed_not_sent_and_sent_not_received_are_overdue(world, approved, db_session, app):
    printed, sent = approved(name="甲"), approved(name="乙")
    _printed(world, [sent], today=D("2020-09-10"))
    create_dispatch_batch(world.city, access(world.city), world.township, today=D("2020-09-11"))
    _printed(world, [printed], today=D("2020-09-10"))
    before = app.config.get("DISPATCH_DEADLINE_DAYS", 15)
    app.config["DISPATCH_DEADLINE_DAYS"] = 3
    try:
        rows = overdue_certificates(access(world.city), D("2020-09-14"))
    finally:
        app.config["DISPATCH_DEADLINE_DAYS"] = before
    assert {(r.kind, r.case_id, r.age_days) for r in rows} == {("not_dispatched", printed.id, 4)}
    rows = overdue_certificates(access(world.city), D("2020-09-27"))
    assert ("not_received", sent.id, 16) in {(r.kind, r.case_id, r.age_days) for r in rows}


def test_overdue_pages_list_with_age(world, approved, db_session, client, login_as):
    approved(name="甲", approved_at=datetime(2000, 1, 1, tzinfo=UTC))
    login_as(world.city)
    assert "Approved, not printed" in text(client.get("/city/certificates/overdue"))
    login_as(world.staff)
    assert "Approved, not printed" in text(client.get(
        f"/t/{world.township.code}/certificates/overdue"))


# --- public verification ---------------------------------------------------------------------

def test_verification_reveals_nothing_personal(world, approved, db_session, client):
    case = approved(name="赵六")
    _printed(world, [case])
    certificate = _cert(db_session, case)
    page = text(client.get(f"/v/{signed_token(certificate)}"))
    assert "Valid" in page and "Physical" in page and "2030-09-10" in page
    for secret in ("赵六", case.person.id_number, case.person.id_number[-6:],
                   certificate.number):
        assert secret not in page
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "certificate.verify")).one()
    assert event.details == {"result": "valid"}


def test_verification_rejects_forged_tokens(world, approved, db_session, client):
    case = approved()
    _printed(world, [case])
    certificate = _cert(db_session, case)
    signed = signed_token(certificate)
    forged = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    for token in (forged, certificate.token, certificate.number, "x.y"):
        page = text(client.get(f"/v/{token}"))
        assert "Unknown" in page and "Physical" not in page


def test_verification_shows_cancelled_and_expired(world, approved, db_session, client):
    case = approved()
    batch = create_print_batch(world.city, access(world.city), [case],
                               issue_date=D("2005-01-01"))
    certificate = _cert(db_session, case)
    assert "Expired" in text(client.get(f"/v/{signed_token(certificate)}"))
    from portal.certificates.services import cancel_print_batch

    cancel_print_batch(batch, world.city, note="wrong date")
    assert "Cancelled" in text(client.get(f"/v/{signed_token(certificate)}"))


def test_verification_is_rate_limited(client):
    for _ in range(30):
        assert client.get("/v/not-a-token").status_code == 200
    assert client.get("/v/not-a-token").status_code == 429


def test_dispatch_batches_are_tenant_rows(world, approved, db_session):
    case = approved()
    _printed(world, [case])
    dispatch = create_dispatch_batch(world.city, access(world.city), world.township,
                                     today=D("2020-09-11"))
    assert isinstance(dispatch, DispatchBatch) and dispatch.township_id == world.township.id


PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
       b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
       b"\x00\x00\x00IEND\xaeB`\x82")


def test_signed_receipt_photo_is_kept_as_evidence(world, approved, db_session, client, post,
                                                  login_as, handover_day):
    import io

    from portal.evidence.models import Evidence

    case = approved()
    _received(world, [case])
    certificate = _cert(db_session, case)
    login_as(world.staff)
    url = f"/t/{world.township.code}/certificates/{certificate.id}/handover"
    form = {"receiver_name": "王五", "relation": "self",
            "id_last_digits": case.person.id_number[-4:], "handed_on": "2020-09-13"}
    refused = post(url, dict(form, receipt_photo=(io.BytesIO(b"not a photo"), "r.png")),
                   content_type="multipart/form-data")
    assert refused.status_code == 200
    assert db_session.scalars(select(Handover)).first() is None
    response = post(url, dict(form, receipt_photo=(io.BytesIO(PNG), "receipt.png")),
                    content_type="multipart/form-data")
    assert response.status_code == 302, text(response)[:3000]
    handover = db_session.scalars(select(Handover)).one()
    evidence = db_session.get(Evidence, handover.receipt_evidence_id)
    assert evidence.kind == "signed_form" and evidence.case_id == case.id
