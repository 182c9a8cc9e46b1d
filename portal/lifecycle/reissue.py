"""A new card of a held certificate (replacement, or a change of printed details): the same
number, category, grade and dates, printed, sent and handed over through the certificate
office's own path (print batch, dispatch batch, handover with the ID checked).

The new card travels as a case of kind "replacement" on the path "reissue" (no assessment),
which the city approves at once when it approves the request (`approve_new_card`). When the
new card is handed over, the card it replaces becomes void (portal/lifecycle/effects.py).
"""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.services import record_event
from portal.cases.labels import CASE_LABELS
from portal.cases.models import Case
from portal.cases.services import create_case, open_case_of
from portal.cases.workflow import apply_transition
from portal.certificates.models import Certificate
from portal.extensions import db
from portal.lifecycle.holding import next_card_serial
from portal.lifecycle.models import CertificateRequest
from portal.lifecycle.requests import add_event
from portal.reference.models import Township
from portal.refusals import Refused

VIA = "certificate_life"
REISSUE_KIND = "replacement"
REISSUE_PATH = "reissue"

CASE_LABELS["path"].setdefault(REISSUE_PATH, _l("No assessment: new card of a held "
                                                "certificate"))
CASE_LABELS["action"].setdefault("approve_new_card", _l("New card approved by the city"))


def request_of_case(case: Case) -> CertificateRequest | None:
    """The request a new card's case was opened for."""
    return db.session.scalars(select(CertificateRequest).where(
        CertificateRequest.reissue_case_id == case.id)).first()


def _quiet_create(township: Township, actor, request: CertificateRequest) -> Case:
    """Register the new card's case without touching the person's survey lists (the holder
    is no applicant: their roster entries keep their status)."""
    person = request.person
    before = {entry.id: entry.status for entry in person.roster_entries}
    try:
        case = create_case(township, actor, person, kind=REISSUE_KIND, path=REISSUE_PATH,
                           note=f"#{request.id}", origin="walk_in",
                           requested_category=request.category)
    except Refused as exc:
        raise Refused("life_step_refused", reason=exc.message) from None
    for entry in person.roster_entries:
        entry.status = before.get(entry.id, entry.status)
    case.roster_entry = None
    case.roster_entry_id = None
    return case


def open_new_card(request: CertificateRequest, actor, access) -> Case:
    """The city approved a request that needs a new card: its case, approved at once with the
    certificate's own number, goes to the next print batch."""
    person = request.person
    existing = open_case_of(person.id)
    if existing is not None:
        raise Refused("life_open_case", id=existing.id)
    township = db.session.get(Township, request.township_id)
    case = _quiet_create(township, actor, request)
    request.reissue_case_id = case.id
    request.card_serial = next_card_serial(request.certificate_number, request.holding_source)
    try:
        apply_transition(case, "approve_new_card", actor=actor, access=access, via=VIA,
                         request=request, note=f"#{request.id}")
    except Refused as exc:
        raise Refused("life_step_refused", reason=exc.message) from None
    request.state = "new_card"
    add_event(request, "new_card_case", actor, f"#{case.id}")
    db.session.flush()
    record_event("certificate_life.new_card_ordered", actor=actor, obj=request,
                 details={"case_id": case.id, "card_serial": request.card_serial})
    return case


def keep_card_dates(certificate: Certificate, request: CertificateRequest) -> None:
    """A new card of a held certificate carries the certificate's dates, not the batch's."""
    if request.issued_on is not None:
        certificate.issue_date = request.issued_on
    if request.expires_on is not None:
        certificate.expires_on = request.expires_on


def finish_new_card(case: Case, certificate: Certificate, actor, today: date) -> None:
    """The new card is handed over: the card it replaces is void, the request is done."""
    request = request_of_case(case)
    if request is None:
        return
    old = request.old_certificate
    if old is not None and old.status == "valid":
        old.status = "void"
        request.old_card_void_on = today
    request.new_certificate_id = certificate.id
    request.state = "completed"
    add_event(request, "new_card_handed_over", actor, f"#{certificate.id}")
    db.session.flush()
    record_event("certificate_life.new_card_handed_over", actor=actor, obj=request,
                 details={"certificate_id": certificate.id, "old_card_void": old is not None})
