"""What every request shares: registering it with a copy of the certificate it concerns, its
timeline, the rule that the city official who decides it is neither its requester nor its
checker, and the guards of its states. Services change the session and never commit."""
from __future__ import annotations

from sqlalchemy import select

from portal.audit.services import record_event
from portal.extensions import db
from portal.lifecycle.holding import Holding
from portal.lifecycle.models import (
    OPEN_REQUEST_STATES,
    CertificateRequest,
    RequestEvent,
)
from portal.refusals import Refused
from portal.rosters.models import Guardianship, Person


def add_event(request: CertificateRequest, action: str, actor, note: str = "") -> RequestEvent:
    """One step on the request's timeline (the audit event is written by the caller)."""
    event = RequestEvent(township_id=request.township_id, request=request, action=action,
                         actor_id=getattr(actor, "id", None), note=note)
    db.session.add(event)
    return event


def open_request_of(person: Person, kind: str) -> CertificateRequest | None:
    """The person's open request of `kind`, if any (one at a time)."""
    return db.session.scalars(
        select(CertificateRequest).where(
            CertificateRequest.person_id == person.id, CertificateRequest.kind == kind,
            CertificateRequest.state.in_(OPEN_REQUEST_STATES))
        .order_by(CertificateRequest.id.desc()).limit(1)).first()


def copy_holding(request: CertificateRequest, holding: Holding | None) -> None:
    """Keep on the request the certificate it concerns, as it stands now."""
    if holding is None:
        return
    request.certificate_number = holding.number
    request.category, request.grade = holding.category, holding.grade
    request.issued_on, request.expires_on = holding.issued_on, holding.expires_on
    request.holding_source = holding.source
    request.old_certificate_id = holding.certificate.id if holding.certificate else None


def new_request(person: Person, actor, kind: str, *, holding: Holding | None,
                reason: str = "", note: str = "") -> CertificateRequest:
    """Register a request of `kind` for the person (state draft), with its first step."""
    if person.deceased:
        raise Refused("life_person_deceased")
    existing = open_request_of(person, kind)
    if existing is not None:
        raise Refused("life_request_open", id=existing.id)
    request = CertificateRequest(township_id=person.township_id, person=person,
                                 person_id=person.id, kind=kind, state="draft", reason=reason,
                                 note=note.strip(), created_by_id=actor.id, changes={})
    copy_holding(request, holding)
    db.session.add(request)
    add_event(request, "register", actor, request.note)
    db.session.flush()
    record_event(f"certificate_life.{kind}_registered", actor=actor, obj=request,
                 details={"person_id": person.id, "reason": reason})
    return request


def require_state(request: CertificateRequest, *states: str) -> None:
    if request.state not in states:
        raise Refused("life_wrong_state")


def check_independent(request: CertificateRequest, actor) -> None:
    """No favour certificates: the official who decides is not the one who registered or
    checked the request, nor the holder's guardian."""
    if actor.id in {request.created_by_id, request.checked_by_id}:
        raise Refused("life_decider_is_requester")
    guardian = db.session.execute(select(Guardianship.id).where(
        Guardianship.user_id == actor.id, Guardianship.person_id == request.person_id)).first()
    if guardian is not None:
        raise Refused("life_decider_is_guardian")
