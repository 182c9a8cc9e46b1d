"""The steps of a petition after it was received, each on its timeline and in the audit trail:

    received ─┬─ accept ──> accepted ── answer ──> answered ── ask for review ──> under_review
              └─ decline ─> not_accepted                      answer review ──> reviewed

Beside them: take it on, ask for and decide on the one extension, transfer or escalate (any open
stage). Each function checks the stage and who may take the step, raises `Refused` otherwise,
changes the petition and flushes; the request's unit of work commits.
"""
from __future__ import annotations

from datetime import date

from portal.audit.services import record_event
from portal.auth.roles import Role
from portal.clock import local_today
from portal.domain.petition_deadlines import (
    answer_due,
    extension_refusal,
    review_answer_due,
    review_request_refusal,
    review_request_until,
)
from portal.extensions import db
from portal.notices.events import petition_told
from portal.petitions.models import (
    OPEN_STATES,
    TOLD_HOW,
    Petition,
    PetitionEvent,
    PetitionExtension,
)
from portal.petitions.services import Subject, check_unit, limits
from portal.petitions.units import Unit, handles, handles_unit, may_approve
from portal.refusals import Refused

NOTE_MAX = 5000


def _record(petition: Petition, actor, action: str, to_state: str | None = None, *,
            note: str = "", details: dict | None = None, today: date | None = None) -> None:
    """Move the petition (or leave its stage) and write the step on its timeline and in the
    audit trail (the audit keeps codes and ids, never the note: it may name people)."""
    before = petition.state
    petition.state = to_state or before
    db.session.add(PetitionEvent(petition_id=petition.id, happened_on=today or local_today(),
                                 actor_id=getattr(actor, "id", None), action=action,
                                 from_state=before, to_state=petition.state,
                                 note=(note or "").strip()[:NOTE_MAX], details=details or {}))
    record_event(f"petition.{action}", actor=actor, obj=petition,
                 details={"reference": petition.reference, "from": before,
                          "to": petition.state, **(details or {})})
    db.session.flush()


def _need_state(petition: Petition, *states: str) -> None:
    if petition.state not in states:
        raise Refused("petition_wrong_state")


def _need_handler(access, petition: Petition) -> None:
    if not handles(access, petition):
        raise Refused("petition_not_handler", status=403)


def _need_text(value: str | None, field: str, code: str = "petition_reason_required") -> str:
    text = (value or "").strip()
    if not text:
        raise Refused(code, field=field)
    return text


def take(petition: Petition, access, actor) -> None:
    """An official of the handling unit takes the petition on (it is then on their list)."""
    _need_state(petition, *OPEN_STATES)
    _need_handler(access, petition)
    petition.handler_id = actor.id
    _record(petition, actor, "taken")


def decide_acceptance(petition: Petition, access, actor, *, accept: bool, note: str,
                      told_on: date, told_how: str, today: date | None = None) -> None:
    """Accept or decline, and record when and how the petitioner was told."""
    today = today or local_today()
    _need_state(petition, "received")
    _need_handler(access, petition)
    if not accept:
        note = _need_text(note, "note")
    if told_on is None or told_on < petition.received_on or told_on > today:
        raise Refused("petition_told_date", field="told_on")
    if told_how not in TOLD_HOW:
        raise Refused("not_allowed_now", field="told_how")
    petition.decided_on, petition.decision_note = today, (note or "").strip()[:NOTE_MAX]
    petition.told_on, petition.told_how = told_on, told_how
    petition.handler_id = petition.handler_id or actor.id
    details = {"told_on": told_on.isoformat(), "told_how": told_how,
               "late": today > petition.acceptance_due_on}
    if accept:
        petition.answer_due_on = answer_due(today, limits())
        petition.due_on = petition.answer_due_on
        details["answer_due_on"] = petition.answer_due_on.isoformat()
        _record(petition, actor, "accepted", "accepted", note=note, details=details,
                today=today)
        petition_told(petition, "petition_accepted")
    else:
        petition.due_on = None
        _record(petition, actor, "not_accepted", "not_accepted", note=note, details=details,
                today=today)


def _pending(petition: Petition) -> PetitionExtension | None:
    return next((x for x in petition.extensions if x.status == "pending"), None)


def _extended(petition: Petition) -> bool:
    return any(x.status == "approved" for x in petition.extensions)


def request_extension(petition: Petition, access, actor, *, days: int | None, reason: str,
                      today: date | None = None) -> PetitionExtension:
    """Ask for the one extension of the answer's time limit, with the reason."""
    today = today or local_today()
    _need_state(petition, "accepted")
    _need_handler(access, petition)
    if _pending(petition) is not None:
        raise Refused("petition_extension_pending")
    rules = limits()
    code = extension_refusal(days, already_extended=_extended(petition),
                             answer_due_on=petition.answer_due_on, today=today, limits=rules)
    if code is not None:
        raise Refused(code, field="days", max=rules.extension_max_days)
    reason = _need_text(reason, "reason")
    extension = PetitionExtension(petition=petition, days=days, reason=reason[:NOTE_MAX],
                                  requested_by_id=actor.id, requested_on=today)
    db.session.add(extension)
    _record(petition, actor, "extension_requested", note=reason, details={"days": days},
            today=today)
    return extension


def decide_extension(petition: Petition, access, actor, *, approve: bool, note: str = "",
                     today: date | None = None) -> PetitionExtension:
    """Another official of the approving role approves the extension, or declines it."""
    today = today or local_today()
    _need_state(petition, "accepted")
    extension = _pending(petition)
    if extension is None:
        raise Refused("petition_extension_none")
    if not may_approve(access, petition):
        raise Refused("petition_approver_role", status=403)
    if actor.id == extension.requested_by_id:
        raise Refused("petition_approver_self")
    if approve:
        rules = limits()
        code = extension_refusal(extension.days, already_extended=_extended(petition),
                                 answer_due_on=petition.answer_due_on, today=today,
                                 limits=rules)
        if code is not None:
            raise Refused(code, max=rules.extension_max_days)
    else:
        note = _need_text(note, "note")
    extension.status = "approved" if approve else "declined"
    extension.decided_by_id, extension.decided_on = actor.id, today
    extension.decision_note = (note or "").strip()[:NOTE_MAX]
    details = {"days": extension.days, "requested_by": extension.requested_by_id}
    if approve:
        petition.extension_days = extension.days
        petition.answer_due_on = answer_due(petition.decided_on, limits(), extension.days)
        petition.due_on = petition.answer_due_on
        details["answer_due_on"] = petition.answer_due_on.isoformat()
    _record(petition, actor, "extension_approved" if approve else "extension_declined",
            note=note, details=details, today=today)
    return extension


def answer(petition: Petition, access, actor, *, text: str, today: date | None = None) -> None:
    """Give the answer; the petitioner's time to ask for a review starts."""
    today = today or local_today()
    _need_state(petition, "accepted")
    _need_handler(access, petition)
    text = _need_text(text, "text", "petition_text_required")
    pending = _pending(petition)
    if pending is not None:
        pending.status = "withdrawn"
        _record(petition, actor, "extension_withdrawn", details={"days": pending.days},
                today=today)
    petition.answered_on, petition.answered_by_id = today, actor.id
    petition.answer = text[:NOTE_MAX]
    petition.review_until = review_request_until(today, limits())
    petition.due_on = None
    _record(petition, actor, "answered", "answered",
            details={"late": today > petition.answer_due_on,
                     "review_until": petition.review_until.isoformat()}, today=today)
    petition_told(petition, "petition_answered")


def may_record_review_request(access, petition: Petition) -> bool:
    """The petitioner asks through the answering unit, the reviewing unit, the city DPF, or
    (a guardian's own petition) the guardian portal."""
    if access is None:
        return False
    if Role.GUARDIAN in access.roles and petition.filed_by_id == access.user_id:
        return True
    above = Unit.of(petition).above() or Unit("city_dpf")
    return (handles(access, petition) or handles_unit(access, above)
            or Role.CITY_ADMIN in access.roles)


def request_review(petition: Petition, access, actor, *, reason: str,
                   today: date | None = None) -> None:
    """The petitioner asks for a review (复查), within the time after the answer; the
    petition goes one level up (the city DPF reviews its own answers by another official)."""
    today = today or local_today()
    _need_state(petition, "answered")
    if not may_record_review_request(access, petition):
        raise Refused("petition_not_handler", status=403)
    rules = limits()
    code = review_request_refusal(petition.answered_on, today, rules)
    if code is not None:
        raise Refused(code, field="reason", until=petition.review_until.isoformat(),
                      days=rules.review_request_days)
    reason = _need_text(reason, "reason")
    before = Unit.of(petition)
    reviewer = before.above() or before
    reviewer.assign_to(petition)
    petition.handler_id = None
    petition.review_requested_on, petition.review_reason = today, reason[:NOTE_MAX]
    petition.review_due_on = review_answer_due(today, rules)
    petition.due_on = petition.review_due_on
    _record(petition, actor, "review_requested", "under_review", note=reason, today=today,
            details={"from_unit": before.value, "to_unit": reviewer.value,
                     "review_due_on": petition.review_due_on.isoformat()})


def answer_review(petition: Petition, access, actor, *, text: str,
                  today: date | None = None) -> None:
    """The reviewing unit answers the review; never the official who gave the answer."""
    today = today or local_today()
    _need_state(petition, "under_review")
    _need_handler(access, petition)
    if actor.id == petition.answered_by_id:
        raise Refused("petition_review_same_official")
    text = _need_text(text, "text", "petition_text_required")
    petition.reviewed_on, petition.reviewed_by_id = today, actor.id
    petition.review_answer = text[:NOTE_MAX]
    petition.due_on = None
    _record(petition, actor, "reviewed", "reviewed",
            details={"late": today > petition.review_due_on}, today=today)


def may_move(access, petition: Petition) -> bool:
    """Who may transfer or escalate: its handlers, and the city DPF over every petition."""
    return handles(access, petition) or (access is not None
                                         and Role.CITY_ADMIN in access.roles)


def transfer(petition: Petition, access, actor, *, to: Unit | None, reason: str,
             escalate: bool = False) -> None:
    """Send an open petition to another unit (or, escalating, to the unit above), with the
    reason; deadlines keep running."""
    _need_state(petition, *OPEN_STATES)
    if not may_move(access, petition):
        raise Refused("petition_not_handler", status=403)
    before = Unit.of(petition)
    if escalate:
        to = before.above()
        if to is None:
            raise Refused("petition_escalate_top")
    if to is None:
        raise Refused("petition_unit_township", field="unit")
    if to == before:
        raise Refused("petition_same_unit", field="unit")
    check_unit(to, Subject(township_id=petition.township_id,
                           about_township_staff=petition.about_township_staff))
    reason = _need_text(reason, "reason")
    to.assign_to(petition)
    petition.handler_id = None
    _record(petition, actor, "escalated" if escalate else "transferred", note=reason,
            details={"from_unit": before.value, "to_unit": to.value})
