"""Recording training sessions, their attendees and each attendee's result per category.

Services change objects, flush and write audit events (doctor account ids, dates and category
codes; never names); the request, command or job commits. A refusal is `Refused("training_...")`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import LazyString, format_date
from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.models import User
from portal.clock import local_today
from portal.doctors.services import doctor_users
from portal.domain.grading import CATEGORIES
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusals import Refused
from portal.training.models import TrainingAttendee, TrainingResult, TrainingSession

OUTCOMES = ("passed", "failed")


@dataclass
class SessionData:
    held_on: date
    place: str
    trainer: str
    categories: list[str]
    attendee_ids: list[int]
    note: str = ""


@dataclass
class ResultChange:
    doctor_id: int
    category: str
    before: str | None
    after: str | None


@dataclass
class ResultsOutcome:
    changes: list[ResultChange] = field(default_factory=list)


def _check(data: SessionData, attended: frozenset[int] = frozenset()) -> SessionData:
    """The cleaned data, or a refusal. `attended`: accounts already on the session, who stay
    choosable even if they no longer hold the doctor role."""
    place, trainer = data.place.strip(), data.trainer.strip()
    if not place:
        raise Refused("training_place_required", field="place")
    if not trainer:
        raise Refused("training_trainer_required", field="trainer")
    if not data.categories:
        raise Refused("training_categories_required", field="categories")
    if set(data.categories) - set(CATEGORIES):
        raise Refused("training_category_unknown", field="categories")
    categories = [c for c in CATEGORIES if c in set(data.categories)]
    attendees = sorted(set(data.attendee_ids))
    if not attendees:
        raise Refused("training_attendees_required", field="attendees")
    doctors = {u.id for u in doctor_users()} | attended
    if any(a not in doctors for a in attendees):
        raise Refused("training_attendee_not_doctor", field="attendees")
    return SessionData(held_on=data.held_on, place=place, trainer=trainer,
                       categories=categories, attendee_ids=attendees,
                       note=(data.note or "").strip())


def record_session(actor, data: SessionData) -> TrainingSession:
    """Record a training session with its attendees (results come after the session)."""
    data = _check(data)
    session = TrainingSession(held_on=data.held_on, place=data.place, trainer=data.trainer,
                              categories=data.categories, note=data.note,
                              recorded_by_id=getattr(actor, "id", None))
    session.attendees = [TrainingAttendee(user_id=uid) for uid in data.attendee_ids]
    db.session.add(session)
    db.session.flush()
    record_event("training.session_recorded", actor=actor, obj=session, details={
        "held_on": session.held_on.isoformat(), "categories": session.categories,
        "doctor_ids": data.attendee_ids})
    return session


def _has_results(session: TrainingSession) -> bool:
    return any(a.results for a in session.attendees)


def update_session(session: TrainingSession, actor, data: SessionData) -> dict:
    """Edit a session after the fact: details, categories, attendees (audited with what
    changed; results of a removed attendee or category go with them). Returns the changes."""
    data = _check(data, frozenset(a.user_id for a in session.attendees))
    if data.held_on > local_today() and _has_results(session):
        raise Refused("training_date_after_results", field="held_on")
    changes: dict = {}
    if data.held_on != session.held_on:
        changes["held_on"] = [session.held_on.isoformat(), data.held_on.isoformat()]
    for name in ("place", "trainer", "note"):
        if getattr(session, name) != getattr(data, name):
            changes[name] = "changed"  # the words themselves stay out of the audit trail
    if data.categories != list(session.categories or []):
        changes["categories"] = [list(session.categories or []), data.categories]
    dropped = _sync_attendees(session, data.attendee_ids, changes)
    dropped += _drop_results_outside(session, data.categories)
    if dropped:
        changes["results_removed"] = dropped
    session.held_on, session.place, session.trainer = data.held_on, data.place, data.trainer
    session.note, session.categories = data.note, data.categories
    db.session.flush()
    if changes:
        record_event("training.session_updated", actor=actor, obj=session, details=changes)
    return changes


def _sync_attendees(session: TrainingSession, wanted: list[int], changes: dict) -> list:
    current = {a.user_id: a for a in session.attendees}
    removed = sorted(set(current) - set(wanted))
    added = [uid for uid in wanted if uid not in current]
    dropped = []
    for uid in removed:
        attendee = current[uid]
        dropped += [{"doctor_id": uid, "category": r.category, "passed": r.passed}
                    for r in attendee.results]
        session.attendees.remove(attendee)
    for uid in added:
        session.attendees.append(TrainingAttendee(user_id=uid))
    if removed or added:
        changes["doctors_removed"], changes["doctors_added"] = removed, added
    return dropped


def _drop_results_outside(session: TrainingSession, categories: list[str]) -> list:
    dropped = []
    for attendee in session.attendees:
        for result in [r for r in attendee.results if r.category not in categories]:
            dropped.append({"doctor_id": attendee.user_id, "category": result.category,
                            "passed": result.passed})
            attendee.results.remove(result)
    return dropped


def _outcome(result: TrainingResult | None) -> str | None:
    if result is None:
        return None
    return "passed" if result.passed else "failed"


def record_results(session: TrainingSession, actor,
                   wanted: dict[tuple[int, str], str | None]) -> ResultsOutcome:
    """Set each attendee's result per category: "passed", "failed" or None (not recorded).

    Only from the session's day on; pairs outside its attendees or categories are refused."""
    if session.held_on > local_today():
        raise Refused("training_results_too_early",
                      date=LazyString(format_date, session.held_on, "long"))
    attendees = {a.user_id: a for a in session.attendees}
    outcome = ResultsOutcome()
    for (uid, category), after in sorted(wanted.items()):
        attendee = attendees.get(uid)
        if attendee is None or category not in (session.categories or []) or (
                after is not None and after not in OUTCOMES):
            raise Refused("training_result_unknown")
        result = attendee.result(category)
        before = _outcome(result)
        if before == after:
            continue
        if after is None:
            attendee.results.remove(result)
        elif result is None:
            attendee.results.append(TrainingResult(
                category=category, passed=after == "passed",
                recorded_by_id=getattr(actor, "id", None)))
        else:
            result.passed = after == "passed"
            result.recorded_by_id = getattr(actor, "id", None)
            result.recorded_at = utcnow()
        outcome.changes.append(ResultChange(uid, category, before, after))
    db.session.flush()
    if outcome.changes:
        record_event("training.results_recorded", actor=actor, obj=session, details={
            "results": [{"doctor_id": c.doctor_id, "category": c.category,
                         "before": c.before, "after": c.after} for c in outcome.changes]})
    return outcome


def attendee_users(session: TrainingSession) -> dict[int, User]:
    """The attendees' accounts, by id."""
    ids = [a.user_id for a in session.attendees]
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
