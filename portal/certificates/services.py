"""Certificates from print to hand: print batches, dispatch to townships, receipt, handover,
reprints, destruction of collected old cards, overdue lists and the QR verification token.

Every case move goes through the workflow table (`print`, `dispatch`, `issue`); the guards
registered here make sure those steps are only taken through these services. A step that
cannot be taken raises `Refused("certificate_...")` (words in portal/refusals/catalogue.py).
"""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, Signer
from sqlalchemy import and_, func, select

from portal.audit.services import record_event
from portal.cases.effects import guard
from portal.cases.models import Case
from portal.cases.workflow import apply_transition
from portal.certificates import effects as _effects  # noqa: F401 (registers them)
from portal.certificates.models import (
    Certificate,
    DispatchBatch,
    Handover,
    PrintBatch,
    Reprint,
)
from portal.domain.certificate import expiry_date
from portal.extensions import db
from portal.late_entry import check_done_date, late_refusal
from portal.models_base import utcnow
from portal.notices import events
from portal.refusals import Refused
from portal.tenancy import Access, scoped
from portal.uow import after_rollback, unit_of_work

DEFAULT_DEADLINE_DAYS = 15
OVERDUE_KINDS = ("not_printed", "not_dispatched", "not_received", "not_handed_over")
_VIA = "certificate_service"
# Called with each new print batch once its certificates exist, before anything is printed
# (an area that owns a kind of card sets what is its own, e.g. a replacement card keeps its
# certificate's dates: portal/lifecycle/effects.py).
PRINT_BATCH_HOOKS: list = []


# --- workflow guards: print, dispatch and issue only through these services ----------------

@guard("through_certificate_service")
def _through_service(case, actor, data: dict) -> str | None:
    """Print, dispatch and issue are taken only by the certificate pages' services."""
    return None if data.get("via") == _VIA else "use_certificate_pages"


# --- dates -----------------------------------------------------------------------------------

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))


def local_date(moment: datetime) -> date:
    """The campaign's calendar day of a stored timestamp."""
    if moment.tzinfo is None:  # SQLite returns naive UTC
        moment = moment.replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(_zone()).date()


def deadline_days(kind: str) -> int:
    """Days allowed for a step before it is overdue (configurable per step)."""
    key = {
        "not_printed": "PRINT_DEADLINE_DAYS",
        "not_dispatched": "DISPATCH_DEADLINE_DAYS",
        "not_received": "RECEIPT_DEADLINE_DAYS",
        "not_handed_over": "HANDOVER_DEADLINE_DAYS",
    }[kind]
    return int(current_app.config.get(key, DEFAULT_DEADLINE_DAYS))


# --- verification token ----------------------------------------------------------------------

def _signer() -> Signer:
    return Signer(current_app.config["SECRET_KEY"], salt="certificate-verification")


def new_token() -> str:
    """A random, non-guessable id for a certificate's QR code (96 bits)."""
    return secrets.token_urlsafe(12)


def signed_token(certificate: Certificate) -> str:
    """The token the QR code carries: the random id signed with the portal's key."""
    return _signer().sign(certificate.token).decode()


def verification_address(certificate: Certificate) -> str:
    """The public address the certificate's QR code carries (PUBLIC_BASE_URL + /v/<token>)."""
    from portal.public_url import public_url

    return public_url("verify.check", qr_token=signed_token(certificate))


def certificate_for_token(signed: str) -> Certificate | None:
    """The certificate a QR token names, or None when the token is forged or unknown."""
    try:
        token = _signer().unsign(signed.encode()).decode()
    except (BadSignature, UnicodeError):
        return None
    # A public page: no user, no township; the signature is the authorization.
    return db.session.execute(
        select(Certificate).where(Certificate.token == token)
    ).scalar_one_or_none()


def verification_status(certificate: Certificate | None, today: date) -> str:
    """valid, expired, cancelled, void (a replaced card) or unknown: the only thing the public
    page tells."""
    if certificate is None:
        return "unknown"
    if certificate.status in ("cancelled", "void"):
        return certificate.status
    if today > certificate.expires_on:
        return "expired"
    return "valid"


def scan_preview(certificate: Certificate | None, today: date) -> tuple[str, dict | None]:
    """What the public QR page shows: the status, and for a certificate in force only its
    category, grade and expiry (never who holds it; nothing at all for a cancelled
    certificate or a void card)."""
    from portal.labels import LABELS

    status = verification_status(certificate, today)
    if certificate is None or status in ("cancelled", "void"):
        return status, None
    return status, {"category": LABELS["category"].get(certificate.category, ""),
                    "grade": certificate.grade, "expires_on": certificate.expires_on}


# --- print batches ---------------------------------------------------------------------------

def approved_cases_stmt(access: Access, township_id: int | None = None):
    """Approved cases in scope (with or without a live certificate), oldest approval first."""
    stmt = scoped(select(Case), access).where(Case.state == "approved")
    if township_id:
        stmt = stmt.where(Case.township_id == township_id)
    return stmt.order_by(Case.township_id, Case.approved_at, Case.id)


def live_certificates_of(case_ids: list[int]) -> dict[int, Certificate]:
    """The live (not cancelled) certificate of each case that has one."""
    if not case_ids:
        return {}
    rows = db.session.scalars(
        select(Certificate).where(Certificate.live_case_id.in_(case_ids))
    ).all()
    return {c.live_case_id: c for c in rows}


def create_print_batch(actor, access: Access, cases: list[Case], *, issue_date: date,
                       township_id: int | None = None, note: str = "") -> PrintBatch:
    """Put approved cases into a new open print batch, one certificate each."""
    if not cases:
        raise Refused("certificate_nothing_selected")
    wrong = [c for c in cases if c.state != "approved" or not c.certificate_number]
    if wrong:
        raise Refused("certificate_not_approved", detail=", ".join(f"#{c.id}" for c in wrong))
    live = live_certificates_of([c.id for c in cases])
    if live:
        raise Refused("certificate_already_in_batch", detail=", ".join(
            _("case #%(case)s in batch #%(batch)s", case=cid, batch=cert.print_batch_id)
            for cid, cert in sorted(live.items())))
    batch = PrintBatch(township_id=township_id, state="open", issue_date=issue_date,
                       created_by_id=actor.id, note=note)
    db.session.add(batch)
    db.session.flush()
    for case in cases:
        db.session.add(Certificate(
            township_id=case.township_id, case_id=case.id, live_case_id=case.id,
            person_id=case.person_id, number=case.certificate_number, category=case.category,
            grade=case.grade, issue_date=issue_date, expires_on=expiry_date(issue_date),
            status="valid", token=new_token(), print_batch_id=batch.id,
        ))
    db.session.flush()
    for hook in PRINT_BATCH_HOOKS:
        hook(batch)
    record_event("certificate.print_batch_create", actor=actor, obj=batch,
                 details={"certificates": len(cases), "township_id": township_id})
    return batch


def mark_batch_printed(batch: PrintBatch, actor, access: Access, *, today: date) -> PrintBatch:
    """The cards of an open batch came off the printer: their cases become printed."""
    if batch.state != "open":
        raise Refused("certificate_batch_not_open")
    for certificate in batch.certificates:
        apply_transition(certificate.case, "print", actor=actor, access=access, via=_VIA,
                         note=_("Print batch #%(n)s", n=batch.id))
        certificate.printed_on = today
    batch.state = "printed"
    batch.printed_by_id = actor.id
    batch.printed_at = utcnow()
    db.session.flush()
    record_event("certificate.print_batch_printed", actor=actor, obj=batch,
                 details={"certificates": len(batch.certificates)})
    return batch


def cancel_print_batch(batch: PrintBatch, actor, *, note: str) -> PrintBatch:
    """Cancel an open batch: its certificates are void and its cases free for a new batch."""
    if batch.state != "open":
        raise Refused("certificate_batch_not_open")
    for certificate in batch.certificates:
        certificate.status = "cancelled"
        certificate.live_case_id = None
        certificate.cancelled_at = utcnow()
    batch.state = "cancelled"
    batch.cancelled_by_id = actor.id
    batch.cancelled_at = utcnow()
    batch.note = (batch.note + "\n" + note).strip()
    db.session.flush()
    record_event("certificate.print_batch_cancel", actor=actor, obj=batch,
                 details={"certificates": len(batch.certificates)})
    return batch


def record_reprint(certificate: Certificate, actor, *, reason: str) -> Reprint:
    """Record that a printed, not yet handed-over certificate is printed again, and why."""
    if certificate.status != "valid":
        raise Refused("certificate_cancelled")
    if certificate.printed_on is None or certificate.handover is not None:
        raise Refused("certificate_not_printed")
    reprint = Reprint(township_id=certificate.township_id, certificate_id=certificate.id,
                      reason=reason, actor_id=actor.id)
    db.session.add(reprint)
    db.session.flush()
    record_event("certificate.reprint", actor=actor, obj=certificate,
                 details={"reprint_id": reprint.id})
    return reprint


# --- dispatch and receipt --------------------------------------------------------------------

def dispatchable_stmt(access: Access, township_id: int | None = None):
    """Printed certificates not yet sent to their township."""
    stmt = scoped(select(Certificate), access).join(Case, Certificate.case_id == Case.id).where(
        Certificate.status == "valid", Certificate.printed_on.is_not(None),
        Certificate.dispatch_batch_id.is_(None), Case.state == "printed",
    )
    if township_id:
        stmt = stmt.where(Certificate.township_id == township_id)
    return stmt.order_by(Certificate.id)


def create_dispatch_batch(actor, access: Access, township, *, today: date) -> DispatchBatch:
    """Send all printed certificates of a township in one dispatch batch."""
    certificates = db.session.scalars(dispatchable_stmt(access, township.id)).all()
    if not certificates:
        raise Refused("certificate_nothing_to_dispatch")
    batch = DispatchBatch(township_id=township.id, sent_count=len(certificates),
                          sent_by_id=actor.id, sent_on=today)
    db.session.add(batch)
    db.session.flush()
    for certificate in certificates:
        apply_transition(certificate.case, "dispatch", actor=actor, access=access, via=_VIA,
                         note=_("Dispatch batch #%(n)s", n=batch.id))
        certificate.dispatch_batch_id = batch.id
    db.session.flush()
    record_event("certificate.dispatch", actor=actor, obj=batch,
                 details={"certificates": len(certificates)})
    return batch


def acknowledge_receipt(batch: DispatchBatch, actor, *, counted: int, note: str = "",
                        today: date) -> DispatchBatch:
    """The township counted the parcel: a count different from the one sent is flagged."""
    if batch.received:
        raise Refused("certificate_already_received", field="counted")
    mismatch = counted != batch.sent_count
    if mismatch and not note.strip():
        raise Refused("certificate_explain_difference", field="note")
    batch.received_by_id = actor.id
    batch.received_at = utcnow()
    batch.received_on = today
    batch.received_count = counted
    batch.count_mismatch = mismatch
    batch.receipt_note = note.strip()
    db.session.flush()
    record_event("certificate.receipt", actor=actor, obj=batch,
                 details={"sent": batch.sent_count, "counted": counted, "mismatch": mismatch})
    events.certificates_ready(batch)
    return batch


# --- handover --------------------------------------------------------------------------------

def id_digits_match(person_id_number: str, typed: str) -> bool:
    """Whether the typed last digits (at least 4) end the person's ID number."""
    typed = (typed or "").strip().upper()
    return len(typed) >= 4 and person_id_number.upper().endswith(typed)


def record_handover(certificate: Certificate, actor, access: Access, *, receiver_name: str,
                    relation: str, id_last_digits: str, handed_on: date, today: date,
                    old_collected: bool = False, late_reason: str = "",
                    receipt_evidence_id: int | None = None) -> Handover:
    """Hand the certificate over with the ID checked; the case becomes issued. A handover
    done on an earlier day is entered late with its reason (portal.late_entry)."""
    if certificate.status != "valid":
        raise Refused("certificate_cancelled")
    if certificate.handover is not None:
        raise Refused("certificate_already_handed_over")
    batch = certificate.dispatch_batch
    if batch is None or not batch.received:
        raise Refused("certificate_not_received")
    person = certificate.person
    if not id_digits_match(person.id_number, id_last_digits):
        _record_id_mismatch(certificate, actor)
        raise Refused("certificate_id_mismatch", field="id_last_digits")
    late = check_done_date(handed_on, today=today, reason=late_reason)
    if late:
        raise late_refusal(late, "handed_on", "late_reason")
    if handed_on < batch.received_on:
        raise Refused("certificate_before_receipt", field="handed_on")
    case = certificate.case
    renewal = case.kind == "renewal"
    handover = Handover(
        township_id=certificate.township_id, certificate_id=certificate.id,
        receiver_name=receiver_name.strip(), relation=relation, id_checked=True,
        handed_on=handed_on, handed_by_id=actor.id, receipt_evidence_id=receipt_evidence_id,
        old_certificate_number=person.certificate_number if renewal else None,
        old_collected=bool(renewal and old_collected),
    )
    db.session.add(handover)
    apply_transition(case, "issue", actor=actor, access=access, via=_VIA, today=today,
                     happened_on=handed_on, late_reason=late_reason, certificate=certificate)
    db.session.flush()
    record_event("certificate.handover", actor=actor, obj=certificate,
                 details={"relation": relation, "old_collected": handover.old_collected,
                          "receipt_photo": receipt_evidence_id is not None})
    return handover


def _record_id_mismatch(certificate: Certificate, actor) -> None:
    """A refused ID check is audited whatever becomes of the request: when the refusal rolls
    it back, the event is written again in a unit of work of its own."""
    ids = (certificate.id, certificate.township_id, getattr(actor, "id", None))
    record_event("certificate.handover_id_mismatch", actor=actor, obj=certificate)
    after_rollback(lambda: _keep_id_mismatch(*ids))


def _keep_id_mismatch(certificate_id: int, township_id: int, actor_id: int | None) -> None:
    from portal.auth.models import User

    with unit_of_work():
        record_event("certificate.handover_id_mismatch", township_id=township_id,
                     actor=db.session.get(User, actor_id) if actor_id else None,
                     object_type="certificates", object_id=certificate_id)


def destruction_stmt(access: Access, *, destroyed: bool = False):
    """Handovers with a collected old certificate, not yet (or already) destroyed."""
    stmt = scoped(select(Handover), access).where(Handover.old_collected.is_(True))
    cond = Handover.old_destroyed_on.is_not(None) if destroyed else \
        Handover.old_destroyed_on.is_(None)
    return stmt.where(cond).order_by(Handover.township_id, Handover.handed_on, Handover.id)


def mark_destroyed(handovers: list[Handover], actor, *, today: date) -> int:
    """Record the collected old certificates as destroyed by the city."""
    count = 0
    for handover in handovers:
        if handover.old_collected and handover.old_destroyed_on is None:
            handover.old_destroyed_on = today
            handover.old_destroyed_by_id = actor.id
            count += 1
    db.session.flush()
    record_event("certificate.old_destroyed", actor=actor, object_type="handovers",
                 details={"count": count})
    return count


# --- overdue (no withholding) ----------------------------------------------------------------

@dataclass
class OverdueCertificate:
    """A case or certificate stuck on its way to the person: which step, since when, how long."""

    kind: str  # one of OVERDUE_KINDS
    township_id: int
    case_id: int
    certificate_id: int | None
    since: date
    age_days: int
    deadline_days: int


def _cutoff(kind: str, today: date) -> date:
    """Items that started on or before this day are overdue (more than N days ago)."""
    return today - timedelta(days=deadline_days(kind) + 1)


def _start_of_day_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=_zone())


def _overdue_queries(access: Access, today: date) -> dict[str, object]:
    """One SELECT per kind of (township_id, case_id, certificate_id, since) rows."""
    approved_before = _start_of_day_after(_cutoff("not_printed", today))
    cases = scoped(select(Case), access)
    not_printed = cases.where(Case.state == "approved", Case.approved_at.is_not(None),
                              Case.approved_at < approved_before)
    certs = scoped(select(Certificate), access).join(Case, Certificate.case_id == Case.id) \
        .where(Certificate.status == "valid")
    not_dispatched = certs.where(
        Case.state == "printed", Certificate.dispatch_batch_id.is_(None),
        Certificate.printed_on <= _cutoff("not_dispatched", today))
    sent = certs.join(DispatchBatch, Certificate.dispatch_batch_id == DispatchBatch.id) \
        .where(Case.state == "dispatched")
    not_received = sent.where(DispatchBatch.received_at.is_(None),
                              DispatchBatch.sent_on <= _cutoff("not_received", today))
    not_handed = sent.where(DispatchBatch.received_on <= _cutoff("not_handed_over", today))
    return {
        "not_printed": not_printed.with_only_columns(
            Case.township_id, Case.id, Case.approved_at),
        "not_dispatched": not_dispatched.with_only_columns(
            Certificate.township_id, Case.id, Certificate.id, Certificate.printed_on),
        "not_received": not_received.with_only_columns(
            Certificate.township_id, Case.id, Certificate.id, DispatchBatch.sent_on),
        "not_handed_over": not_handed.with_only_columns(
            Certificate.township_id, Case.id, Certificate.id, DispatchBatch.received_on),
    }


def overdue_certificates(scope_access: Access, today: date) -> list[OverdueCertificate]:
    """Approved not printed, printed not sent, sent not acknowledged, received not handed over
    for longer than the configured days, in the scope of `scope_access`, oldest first."""
    rows: list[OverdueCertificate] = []
    for kind, stmt in _overdue_queries(scope_access, today).items():
        for row in db.session.execute(stmt):
            if kind == "not_printed":
                township_id, case_id, approved_at = row
                certificate_id, since = None, local_date(approved_at)
            else:
                township_id, case_id, certificate_id, since = row
            rows.append(OverdueCertificate(kind, township_id, case_id, certificate_id, since,
                                           (today - since).days, deadline_days(kind)))
    return sorted(rows, key=lambda r: (-r.age_days, r.township_id, r.case_id))


def overdue_certificate_counts(scope_access: Access, today: date) -> dict[int, Counter]:
    """Overdue counts per township and kind, counted by the database (for dashboards)."""
    counts: dict[int, Counter] = {}
    for kind, stmt in _overdue_queries(scope_access, today).items():
        grouped = stmt.with_only_columns(
            stmt.selected_columns[0], func.count()
        ).group_by(stmt.selected_columns[0]).order_by(None)
        for township_id, n in db.session.execute(grouped):
            counts.setdefault(township_id, Counter())[kind] += n
    return counts


def awaiting_handover_stmt(access: Access):
    """Certificates received by the township and not yet handed over, oldest receipt first."""
    return scoped(select(Certificate), access).join(
        DispatchBatch, Certificate.dispatch_batch_id == DispatchBatch.id
    ).join(Case, Certificate.case_id == Case.id).where(
        and_(Certificate.status == "valid", DispatchBatch.received_at.is_not(None),
             Case.state == "dispatched")
    ).order_by(DispatchBatch.received_on, Certificate.id)

