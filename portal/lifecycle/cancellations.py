"""Cancellation (注销) of a certificate, by its reason: the holder's death (reported by the
family, or on the civil-affairs list of deceased persons), the holder's own written request,
no longer qualifying after a re-assessment, or obtained by fraud (收回, on the city's decision
document). Once in effect the certificate is held nowhere: every card of the person is
cancelled (the public QR check then says so and nothing else) and the register entry is removed
(the request keeps what it said). The card is recorded as collected or not.

A holder who asked for the cancellation cannot apply again within a year of it
(`portal.domain.certificate.reapply_allowed_from`): every new application checks that.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.cases.models import OPEN_STATES, Case
from portal.cases.services import APPLICATION_CHECKS
from portal.cases.workflow import apply_transition
from portal.certificates.models import Certificate
from portal.clock import local_today
from portal.domain.certificate import reapply_allowed_from
from portal.extensions import db
from portal.lifecycle.documents import has_document
from portal.lifecycle.holding import (
    HELD_CARD_STATUSES,
    Holding,
    current_holding,
    register_entry,
)
from portal.lifecycle.models import CertificateRequest
from portal.lifecycle.requests import add_event, copy_holding, new_request
from portal.models_base import utcnow
from portal.refusals import Refused
from portal.rosters.models import Person

# Reasons a person chooses on the form (`reassessed` is recorded by the new certificate).
FORM_REASONS = ("death", "own_request", "not_qualifying", "fraud")
# The re-assessment that can end a certificate: a renewal or a category or grade change.
REASSESSMENT_KINDS = ("renewal", "change")


def reassessment_cases(person: Person) -> list[Case]:
    """The person's re-assessment cases that ended with "does not qualify" (closed)."""
    return list(db.session.scalars(select(Case).where(
        Case.person_id == person.id, Case.state == "closed",
        Case.kind.in_(REASSESSMENT_KINDS), Case.grade.is_(None)).order_by(Case.id.desc())))


def _check_death_date(person: Person, died_on: date | None, today: date) -> None:
    if died_on is None:
        raise Refused("life_death_date_required", field="died_on")
    if died_on > today:
        raise Refused("life_death_date_future", field="died_on")
    if died_on < person.birth_date:
        raise Refused("life_death_before_birth", field="died_on")


def _check_reason(person: Person, access, reason: str, holding: Holding | None, *,
                  died_on: date | None, decision_document: str,
                  assessment_case_id: int | None, today: date) -> None:
    if reason not in FORM_REASONS:
        raise Refused("life_reason_unknown", field="reason")
    if reason != "death" and holding is None:
        raise Refused("life_no_certificate")
    if reason == "death":
        _check_death_date(person, died_on, today)
    elif reason == "fraud":
        if not access.can(Permission.APPROVE_CASES):
            raise Refused("life_fraud_city_only", field="reason")
        if not decision_document.strip():
            raise Refused("life_decision_document_required", field="decision_document")
    elif reason == "not_qualifying" and assessment_case_id not in {
            c.id for c in reassessment_cases(person)}:
        raise Refused("life_reassessment_case_required", field="assessment_case")


def register_cancellation(person: Person, actor, access, *, reason: str, note: str = "",
                          died_on: date | None = None, decision_document: str = "",
                          assessment_case_id: int | None = None,
                          card_collected: bool | None = None,
                          today: date | None = None) -> CertificateRequest:
    """Register a cancellation request (draft) with what its reason needs."""
    today = today or local_today()
    holding = current_holding(person)
    _check_reason(person, access, reason, holding, died_on=died_on,
                  decision_document=decision_document, assessment_case_id=assessment_case_id,
                  today=today)
    request = new_request(person, actor, "cancellation", holding=holding, reason=reason,
                          note=note)
    if reason == "death":
        request.death_source, request.died_on = "family_report", died_on
    request.decision_document = decision_document.strip() if reason == "fraud" else ""
    request.assessment_case_id = assessment_case_id if reason == "not_qualifying" else None
    request.card_collected = card_collected if holding is not None else None
    if card_collected:
        request.card_collected_on = today
    db.session.flush()
    return request


def check_submit(request: CertificateRequest) -> None:
    """What the township checks before the request goes to the city."""
    if request.reason == "death" and not has_document(request, "death_proof", "signed_form"):
        raise Refused("life_death_proof_missing")
    if request.reason == "own_request" and not has_document(request, "statement",
                                                            "signed_form"):
        raise Refused("life_written_request_missing")


def _open_case(person: Person) -> Case | None:
    return db.session.scalars(select(Case).where(
        Case.person_id == person.id, Case.state.in_(sorted(OPEN_STATES))).limit(1)).first()


def _record_death(person: Person, actor, access, note: str) -> None:
    """The person is deceased: their open case ends that way, their lists say so."""
    case = _open_case(person)
    if case is not None:
        try:
            apply_transition(case, "record_death", actor=actor, access=access, note=note)
        except Refused as exc:
            raise Refused("life_step_refused", reason=exc.message) from None
    person.deceased = True
    for entry in person.roster_entries:
        entry.status = "deceased"


def cancel_cards(person: Person) -> int:
    """Every card of the person that still stands (valid or void) is cancelled."""
    cards = db.session.scalars(select(Certificate).where(
        Certificate.person_id == person.id, Certificate.status.in_(HELD_CARD_STATUSES))).all()
    for card in cards:
        card.status = "cancelled"
        card.cancelled_at = utcnow()
    return len(cards)


def put_in_effect(request: CertificateRequest, actor, access, today: date) -> None:
    """The cancellation takes effect today: cards cancelled, register entry removed, the
    person deceased where that is the reason, the year's bar on a new application set."""
    person = request.person
    if request.reason == "death":
        _record_death(person, actor, access, f"#{request.id}")
    else:
        case = _open_case(person)
        if case is not None:
            raise Refused("life_open_case", id=case.id)
    cards = cancel_cards(person)
    entry = register_entry(person)
    if entry is not None:  # through the session, so that the dashboards see it
        db.session.delete(entry)
    request.effective_on = today
    if request.reason == "own_request":
        request.reapply_from = reapply_allowed_from(today)
    request.state = "completed"
    db.session.flush()
    record_event("certificate_life.cancelled", actor=actor, obj=request, details={
        "person_id": person.id, "reason": request.reason, "cards_cancelled": cards,
        "register_entry_removed": entry is not None,
        "reapply_from": request.reapply_from.isoformat() if request.reapply_from else None})


def record_listed_death(person: Person, actor, access, *, died_on: date,
                        today: date) -> CertificateRequest | None:
    """A death on the civil-affairs list: in effect at once (the list is the authority). A
    holder's certificate is cancelled with the request as its record; a person without one is
    only recorded as deceased."""
    holding = current_holding(person)
    if holding is None:
        _record_death(person, actor, access, "")
        record_event("certificate_life.death_recorded", actor=actor, obj=person,
                     details={"source": "civil_affairs_list"})
        return None
    request = CertificateRequest(
        township_id=person.township_id, person=person, person_id=person.id,
        kind="cancellation", state="submitted", reason="death",
        death_source="civil_affairs_list", died_on=died_on, created_by_id=actor.id,
        checked_by_id=actor.id, checked_at=utcnow(), decided_by_id=actor.id,
        decided_at=utcnow(), changes={})
    copy_holding(request, holding)
    db.session.add(request)
    add_event(request, "listed_death", actor)
    db.session.flush()
    put_in_effect(request, actor, access, today)
    return request


def record_reassessed(case: Case, certificate: Certificate, actor, today: date) -> None:
    """A re-assessment for a category or grade change ended in a new certificate: the old one
    is cancelled (reason `reassessed`) as the new one is handed over."""
    holding = current_holding(case.person, exclude_id=certificate.id)
    if holding is None:
        return
    request = CertificateRequest(
        township_id=case.township_id, person=case.person, person_id=case.person_id,
        kind="cancellation", state="completed", reason="reassessed", created_by_id=actor.id,
        decided_by_id=actor.id, decided_at=utcnow(), assessment_case_id=case.id,
        new_certificate_id=certificate.id, effective_on=today, changes={})
    copy_holding(request, holding)
    if holding.certificate is not None:
        holding.certificate.status = "cancelled"
        holding.certificate.cancelled_at = utcnow()
    db.session.add(request)
    add_event(request, "reassessed", actor, f"#{case.id}")
    db.session.flush()
    record_event("certificate_life.cancelled", actor=actor, obj=request, details={
        "person_id": case.person_id, "reason": "reassessed", "case_id": case.id})


def barred_until(person: Person, today: date | None = None) -> CertificateRequest | None:
    """The person's cancellation on their own request whose year has not passed, if any."""
    today = today or local_today()
    return db.session.scalars(select(CertificateRequest).where(
        CertificateRequest.person_id == person.id, CertificateRequest.kind == "cancellation",
        CertificateRequest.reason == "own_request", CertificateRequest.state == "completed",
        CertificateRequest.reapply_from > today)
        .order_by(CertificateRequest.reapply_from.desc()).limit(1)).first()


def refuse_within_the_year(person: Person, kind: str) -> None:
    """No new application within a year of a cancellation on the holder's own request; the
    refusal says the day applications open again."""
    barred = barred_until(person)
    if barred is not None:
        raise Refused("reapply_barred", field="id_number",
                      cancelled_on=barred.effective_on.isoformat(),
                      opens_on=barred.reapply_from.isoformat())


if refuse_within_the_year not in APPLICATION_CHECKS:
    APPLICATION_CHECKS.append(refuse_within_the_year)
