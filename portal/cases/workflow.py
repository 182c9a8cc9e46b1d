"""The case workflow (DESIGN.md §5) as one transition table: from-states, to-state, permission,
guard. Every state change of a case goes through `apply_transition`, which checks all four,
writes the case's timeline event and an audit event. Views and services never set `case.state`.
A refused transition raises `Refused(code)`; the words of every code are in
portal/refusals/catalogue.py.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.cases.effects import EFFECTS, GUARDS, guard
from portal.cases.models import OPEN_STATES, Case, CaseEvent
from portal.clock import local_today
from portal.extensions import db
from portal.late_entry import check_done_date, late_reason, late_refusal
from portal.refusals import Refused


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: Permission
    # Names of the rules that must hold (guards registered in portal/cases/effects.py).
    guards: tuple[str, ...] = field(default=())
    # Names of what the transition does besides moving the state (portal/cases/effects.py).
    effects: tuple[str, ...] = field(default=())


@guard("qualifies")
def _qualifies(case: Case, actor, data: dict) -> str | None:
    """The assessment gave a grade."""
    return None if case.grade else "outcome_not_qualifying"


@guard("does_not_qualify")
def _does_not_qualify(case: Case, actor, data: dict) -> str | None:
    """The assessment gave no grade, with the reason."""
    return None if case.grade is None and case.not_disabled_reason else "outcome_qualifying"


@guard("note_required")
def _note_required(case: Case, actor, data: dict) -> str | None:
    """The step carries a note saying why."""
    return None if (data.get("note") or "").strip() else "note_required"


@guard("independent_approver")
def _independent_approver(case: Case, actor, data: dict) -> str | None:
    """No favour certificates: the approver is neither doctor, creator nor guardian."""
    from portal.rosters.models import Guardianship

    actor_id = getattr(actor, "id", None)
    if actor_id in {case.doctor_id, case.second_doctor_id}:
        return "approver_is_doctor"
    if actor_id == case.created_by_id:
        return "approver_is_creator"
    guardian = db.session.execute(
        db.select(Guardianship.id).where(
            Guardianship.user_id == actor_id, Guardianship.person_id == case.person_id
        )
    ).first()
    if guardian is not None:
        return "approver_is_guardian"
    return None


def _today(data: dict) -> date:
    return data.get("today") or local_today()


@guard("publicity_start_ok")
def _publicity_start_ok(case: Case, actor, data: dict) -> str | None:
    """The notice starts within 30 days (one already posted is entered late: `happened_on`)."""
    start, today = data.get("starts_on") or _today(data), _today(data)
    if (start - today).days > 30:
        return "publicity_start_too_late"
    return None


@guard("publicity_over")
def _publicity_over(case: Case, actor, data: dict) -> str | None:
    """The 5 working days of the notice have run (the case moves on the day after the last)."""
    if case.publicity_ends_on is None or _today(data) <= case.publicity_ends_on:
        return "publicity_not_over"
    return None


@guard("may_notify")
def _may_notify(case: Case, actor, data: dict) -> str | None:
    """An assessment without a grade, or a refusal by the city, not yet notified."""
    if case.state == "assessed":
        return _does_not_qualify(case, actor, data)
    return "already_notified" if case.notified_on is not None else None


@guard("certificate_number_possible")
def _certificate_number_possible(case: Case, actor, data: dict) -> str | None:
    """A certificate number can be made from the ID number, category and grade."""
    from portal.domain.certificate import CertificateNumberError, make_number

    try:
        make_number(case.person.id_number, case.category or "", case.grade or 0,
                    today=_today(data))
    except CertificateNumberError:
        return "certificate_number_impossible"
    return None


@guard("within_appeal_window")
def _within_appeal_window(case: Case, actor, data: dict) -> str | None:
    """Appeals reach the city within 10 working days of the notification (last day included)."""
    if case.final:
        return "final_decision"
    if case.city_level:
        return "appeal_goes_to_province"
    if case.notified_on is None or case.appeal_due_on is None:
        return "not_notified"
    if _today(data) > case.appeal_due_on:
        return "appeal_window_closed"
    return None


@guard("appeal_window_over")
def _appeal_window_over(case: Case, actor, data: dict) -> str | None:
    """A not-qualified case closes once the person was told and could no longer appeal."""
    if case.final:
        return None
    if case.notified_on is None or case.appeal_due_on is None:
        return "not_notified"
    if _today(data) <= case.appeal_due_on:
        return "appeal_window_open"
    return None


@guard("city_level")
def _city_level(case: Case, actor, data: dict) -> str | None:
    """The case is the city's re-assessment (the province decides on it)."""
    return None if case.city_level else "not_city_level"


@guard("final_grade_given")
def _final_grade_given(case: Case, actor, data: dict) -> str | None:
    """The provincial committee's category and grade are given."""
    from portal.domain.certificate import CATEGORY_DIGITS, GRADES

    if data.get("category") in CATEGORY_DIGITS and data.get("grade") in GRADES:
        return None
    return "final_grade_missing"


@guard("different_doctor_on_appeal")
def _different_doctor_on_appeal(case: Case, actor, data: dict) -> str | None:
    """An appeal's re-assessment is done by doctors other than those of the appealed case."""
    if case.appeal_of_id is None:
        return None
    original = db.session.get(Case, case.appeal_of_id)
    banned = {original.doctor_id, original.second_doctor_id} - {None}
    involved = {
        getattr(actor, "id", None), case.doctor_id, case.second_doctor_id,
        data.get("doctor_id"), data.get("second_doctor_id"),
    }
    return "same_doctor_as_appealed_case" if banned & involved else None


OPEN = frozenset(OPEN_STATES)
P = Permission

R = "update_roster_entry"  # the person's roster entry follows the case

TRANSITIONS: tuple[Transition, ...] = (
    Transition("schedule", frozenset({"registered", "scheduled"}), "scheduled", P.SCHEDULE,
               ("different_doctor_on_appeal",)),
    Transition("unschedule", frozenset({"scheduled"}), "registered", P.SCHEDULE, (), (R,)),
    # Only a doctor certified for the category, independent of the person, signs
    # (portal/doctors/guards.py).
    Transition("record_assessment", frozenset({"registered", "scheduled"}), "assessed", P.ASSESS,
               ("different_doctor_on_appeal", "assessing_doctor")),
    Transition("request_second_review", frozenset({"assessed"}), "second_review", P.ASSESS,
               ("second_doctor_chosen",)),
    Transition("confirm_second_review", frozenset({"second_review"}), "assessed", P.ASSESS,
               ("different_doctor_on_appeal", "second_doctor")),
    # The second doctor disagrees: the case goes back to its doctor for a new assessment.
    Transition("return_for_reassessment", frozenset({"second_review"}), "scheduled", P.ASSESS,
               ("second_doctor",)),
    Transition("start_publicity", frozenset({"assessed"}), "publicity", P.MANAGE_CASES,
               ("qualifies", "publicity_start_ok"), ("open_publicity", "tell_publicity_started")),
    Transition("notify_not_qualified", frozenset({"assessed", "not_qualified"}), "not_qualified",
               P.MANAGE_CASES, ("may_notify",),
               ("open_appeal_window", "tell_result_and_appeal", R)),
    # An objection not yet checked holds the case at the end of its notice; one upheld sends
    # it back for a new assessment (portal/objections/workflow.py).
    Transition("end_publicity", frozenset({"publicity"}), "under_review", P.MANAGE_CASES,
               ("publicity_over", "no_open_objection"), ("schedule_review", R)),
    Transition("uphold_objection", frozenset({"publicity"}), "registered", P.MANAGE_CASES,
               ("through_objection_service",), ("reopen_after_objection", R)),
    Transition("approve", frozenset({"under_review"}), "approved", P.APPROVE_CASES,
               ("independent_approver", "qualifies", "certificate_number_possible"),
               ("number_certificate", R)),
    # A new card of a held certificate (replacement, changed details), approved on the
    # request's page (portal/lifecycle/effects.py).
    Transition("approve_new_card", frozenset({"registered"}), "approved", P.APPROVE_CASES,
               ("through_certificate_life",), ("number_new_card",)),
    Transition("refuse", frozenset({"under_review"}), "not_qualified", P.APPROVE_CASES,
               ("independent_approver", "note_required"), ("clear_notification", R)),
    Transition("appeal", frozenset({"not_qualified"}), "appealed", P.MANAGE_CASES,
               ("within_appeal_window",), (R,)),
    # The provincial expert committee's decision on a city-level re-assessment is final.
    Transition("record_final_not_qualified", frozenset({"not_qualified"}), "closed",
               P.APPROVE_CASES, ("city_level", "note_required"), ("record_final_refusal",)),
    Transition("record_final_qualified", frozenset({"not_qualified"}), "under_review",
               P.APPROVE_CASES, ("city_level", "note_required", "final_grade_given"),
               ("record_final_grade", R)),
    Transition("close", frozenset({"not_qualified"}), "closed", P.MANAGE_CASES,
               ("appeal_window_over",)),
    Transition("withdraw", OPEN, "withdrawn", P.MANAGE_CASES, ("note_required",), (R,)),
    Transition("record_death", OPEN, "deceased", P.MANAGE_CASES, (), ("record_death", R)),
    # Certificates (portal.certificates.services): printed in a city batch, sent to the
    # township in a dispatch batch, handed to the person with the ID checked.
    Transition("print", frozenset({"approved"}), "printed", P.APPROVE_CASES,
               ("through_certificate_service",)),
    Transition("dispatch", frozenset({"printed"}), "dispatched", P.APPROVE_CASES,
               ("through_certificate_service",)),
    # A new card voids the card it replaces (portal/lifecycle) before the holder is recorded.
    Transition("issue", frozenset({"dispatched"}), "issued", P.MANAGE_CASES,
               ("through_certificate_service",),
               ("retire_replaced_card", "supersede_older_certificates", "register_holder")),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}


@contextmanager
def refusals_renamed(names: dict[str, str]) -> Iterator[None]:
    """Inside, a workflow refusal whose code is in `names` is raised again under the area's
    own code: the schedule says why a case cannot be *scheduled*, the signing page why an
    assessment cannot be *signed*, where the workflow speaks of any step."""
    try:
        yield
    except Refused as refusal:
        if refusal.code not in names:
            raise
        raise Refused(names[refusal.code], field=refusal.field, status=refusal.status,
                      **refusal.params) from None


def allowed_actions(case: Case, access) -> list[str]:
    """Actions the user could take on the case now (guards with data are checked on apply)."""
    return [
        t.action for t in BY_ACTION.values()
        if case.state in t.sources and access.can(t.permission)
    ]


def apply_transition(case: Case, action: str, *, actor, access, note: str = "",
                     **data) -> CaseEvent:
    """Move the case along one transition, or raise Refused.

    `happened_on` is the day the step was really done, when the step records something done
    on paper (public notice posted, person told, certificate handed over): a past day is
    checked by `check_done_date` and recorded with its `late_reason` on the timeline."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise Refused("unknown_action")
    if case.state not in transition.sources:
        raise Refused("wrong_state")
    if not access.can(transition.permission):
        raise Refused("not_permitted")
    data = {"note": note, **data}
    for name in transition.guards:
        code = GUARDS[name](case, actor, data)
        if code:
            raise Refused(code)
    happened_on, today = data.get("happened_on"), _today(data)
    reason = None
    if happened_on is not None:
        code = check_done_date(happened_on, today=today, reason=data.get("late_reason"),
                               future_allowed=True)
        if code:
            raise late_refusal(code)
        reason = late_reason(happened_on, data.get("late_reason"), today)
    previous = case.state
    case.state = transition.target
    data["today"] = today
    for name in transition.effects:
        EFFECTS[name](case, actor, data)
    event = CaseEvent(township_id=case.township_id, case=case, actor_id=actor.id,
                      action=action, from_state=previous, to_state=transition.target,
                      note=note, happened_on=happened_on, late_reason=reason)
    db.session.add(event)
    db.session.flush()
    details = {"from": previous, "to": transition.target}
    if happened_on is not None:
        details["happened_on"] = happened_on.isoformat()
    if reason is not None:
        details["entered_late"] = True
        details["late_reason"] = reason
    record_event(f"case.{action}", actor=actor, obj=case, details=details)
    return event


def check_registered() -> None:
    """Every guard and effect the table names is registered (called by the app factory once
    every area is loaded): a misspelt or missing rule stops the portal at start."""
    missing = sorted({f"guard {name}" for t in TRANSITIONS for name in t.guards
                      if name not in GUARDS}
                     | {f"effect {name}" for t in TRANSITIONS for name in t.effects
                        if name not in EFFECTS})
    if missing:
        raise RuntimeError("the workflow table names unregistered rules: " + ", ".join(missing))
