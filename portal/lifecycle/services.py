"""The steps every request takes: the township checks it and sends it to the city, the city
approves or refuses it (never the official who registered or checked it), the township may
withdraw a draft, and records the old card as collected. What approval does depends on the
kind (changes.py, replacements.py, cancellations.py). Services never commit."""
from __future__ import annotations

from datetime import date

from portal.audit.services import record_event
from portal.clock import local_today
from portal.extensions import db
from portal.lifecycle import (
    cancellations,
    changes,
    effects,  # noqa: F401 - the area's workflow rules, by name
    replacements,
)
from portal.lifecycle.models import CertificateRequest
from portal.lifecycle.reissue import open_new_card
from portal.lifecycle.requests import add_event, check_independent, require_state
from portal.models_base import utcnow
from portal.refusals import Refused

SUBMIT_CHECKS = {
    "change": changes.check_submit,
    "replacement": replacements.check_submit,
    "cancellation": cancellations.check_submit,
}


def submit_request(request: CertificateRequest, actor, *,
                   today: date | None = None) -> CertificateRequest:
    """The township has checked the request and its documents: it goes to the city. A lost
    or damaged card is void from now on."""
    today = today or local_today()
    require_state(request, "draft")
    SUBMIT_CHECKS[request.kind](request)
    request.state = "submitted"
    request.checked_by_id, request.checked_at = actor.id, utcnow()
    add_event(request, "submit", actor)
    if request.kind == "replacement":
        replacements.void_old_card(request, actor, today)
    db.session.flush()
    record_event("certificate_life.submitted", actor=actor, obj=request,
                 details={"kind": request.kind})
    return request


def _approve(request: CertificateRequest, actor, access, today: date) -> None:
    if request.kind == "change":
        changes.apply_changes(request, actor)
        if request.reprint:
            open_new_card(request, actor, access)
        else:
            request.state = "completed"
            request.effective_on = today
    elif request.kind == "replacement":
        open_new_card(request, actor, access)
    else:
        cancellations.put_in_effect(request, actor, access, today)


def decide_request(request: CertificateRequest, actor, access, *, approve: bool,
                   note: str = "", today: date | None = None) -> CertificateRequest:
    """The city's decision on a submitted request."""
    today = today or local_today()
    require_state(request, "submitted")
    check_independent(request, actor)
    note = (note or "").strip()
    request.decided_by_id, request.decided_at = actor.id, utcnow()
    request.decision_note = note
    if approve:
        _approve(request, actor, access, today)
    else:
        if not note:
            raise Refused("life_reason_required", field="note")
        request.state = "rejected"
    add_event(request, "approve" if approve else "reject", actor, note)
    db.session.flush()
    record_event("certificate_life.approved" if approve else "certificate_life.rejected",
                 actor=actor, obj=request, details={"kind": request.kind,
                                                    "state": request.state})
    return request


def withdraw_request(request: CertificateRequest, actor, *, note: str) -> CertificateRequest:
    """Give up a request the township has not yet sent to the city."""
    require_state(request, "draft")
    note = (note or "").strip()
    if not note:
        raise Refused("life_reason_required", field="note")
    request.state = "withdrawn"
    add_event(request, "withdraw", actor, note)
    db.session.flush()
    record_event("certificate_life.withdrawn", actor=actor, obj=request,
                 details={"kind": request.kind})
    return request


def collectable(request: CertificateRequest) -> bool:
    """Whether the request's old card is still to be taken back: a cancelled certificate's, or
    the one a change's new card replaces."""
    if request.card_collected or not request.certificate_number:
        return False
    if request.kind == "cancellation":
        return request.state == "completed"
    return request.kind == "change" and request.reprint and \
        request.state in ("new_card", "completed")


def record_card_collected(request: CertificateRequest, actor, *, collected_on: date,
                          today: date | None = None) -> CertificateRequest:
    """The old card of a cancelled certificate (or of a change) was handed back."""
    today = today or local_today()
    if request.card_collected:
        raise Refused("life_card_already_collected")
    if not collectable(request):
        raise Refused("life_wrong_state")
    if collected_on > today:
        raise Refused("life_date_future", field="collected_on")
    request.card_collected, request.card_collected_on = True, collected_on
    add_event(request, "card_collected", actor, collected_on.isoformat())
    db.session.flush()
    record_event("certificate_life.card_collected", actor=actor, obj=request,
                 details={"collected_on": collected_on.isoformat()})
    return request
