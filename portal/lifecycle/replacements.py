"""Replacement (补办) of a lost or damaged card. The township registers the request with the
holder's written loss declaration, or takes the damaged card back; once it has checked and sent
the request to the city, the old card is recorded as void (a lost card must not pass as valid
a day longer: its QR check says "void"). The city approves, and a new card of the same
certificate (same number and dates) is printed, sent and handed over with its own trail."""
from __future__ import annotations

from datetime import date

from portal.audit.services import record_event
from portal.clock import local_today
from portal.extensions import db
from portal.lifecycle.documents import has_document
from portal.lifecycle.holding import current_holding
from portal.lifecycle.models import REPLACEMENT_REASONS, CertificateRequest
from portal.lifecycle.requests import add_event, new_request
from portal.refusals import Refused
from portal.rosters.models import Person


def register_replacement(person: Person, actor, *, reason: str,
                         damaged_card_returned: bool = False, note: str = "",
                         today: date | None = None) -> CertificateRequest:
    """Register a replacement (draft): a lost card, or a damaged one handed back."""
    today = today or local_today()
    if reason not in REPLACEMENT_REASONS:
        raise Refused("life_reason_unknown", field="reason")
    holding = current_holding(person)
    if holding is None or not holding.valid_on(today):
        raise Refused("life_no_certificate")
    if reason == "damaged" and not damaged_card_returned:
        raise Refused("life_damaged_not_returned", field="damaged_card_returned")
    request = new_request(person, actor, "replacement", holding=holding, reason=reason,
                          note=note)
    request.damaged_card_returned = reason == "damaged"
    if reason == "damaged":
        request.card_collected, request.card_collected_on = True, today
    db.session.flush()
    return request


def check_submit(request: CertificateRequest) -> None:
    """A lost card needs the holder's written loss declaration."""
    if request.reason == "lost" and not has_document(request, "statement", "signed_form"):
        raise Refused("life_declaration_missing")


def void_old_card(request: CertificateRequest, actor, today: date) -> None:
    """The old card is void from the day the township sends the request to the city."""
    old = request.old_certificate
    if old is not None and old.status == "valid":
        old.status = "void"
    request.old_card_void_on = today
    add_event(request, "old_card_void", actor)
    db.session.flush()
    record_event("certificate_life.card_void", actor=actor, obj=request,
                 details={"certificate_id": old.id if old is not None else None,
                          "reason": request.reason})
