"""The case workflow (DESIGN.md §5) as one transition table: from-states, to-state, permission,
guard. Every state change of a case goes through `apply_transition`, which checks all four,
writes the case's timeline event and an audit event. Views and services never set `case.state`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.cases.models import OPEN_STATES, Case, CaseEvent
from portal.extensions import db

# A guard returns None when the transition may happen, or a refusal code (see REFUSALS).
Guard = Callable[[Case, object, dict], str | None]


class TransitionRefused(Exception):
    """The transition is not allowed; `code` says why (translated by the views)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset[str]
    target: str
    permission: Permission
    guards: tuple[Guard, ...] = field(default=())


def _qualifies(case: Case, actor, data: dict) -> str | None:
    return None if case.grade else "outcome_not_qualifying"


def _does_not_qualify(case: Case, actor, data: dict) -> str | None:
    return None if case.grade is None and case.not_disabled_reason else "outcome_qualifying"


def _note_required(case: Case, actor, data: dict) -> str | None:
    return None if (data.get("note") or "").strip() else "note_required"


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


OPEN = frozenset(OPEN_STATES)
P = Permission

TRANSITIONS: tuple[Transition, ...] = (
    Transition("schedule", frozenset({"registered", "scheduled"}), "scheduled", P.SCHEDULE),
    Transition("unschedule", frozenset({"scheduled"}), "registered", P.SCHEDULE),
    Transition("record_assessment", frozenset({"registered", "scheduled"}), "assessed", P.ASSESS),
    Transition("request_second_review", frozenset({"assessed"}), "second_review", P.ASSESS),
    Transition("confirm_second_review", frozenset({"second_review"}), "assessed", P.ASSESS),
    Transition("start_publicity", frozenset({"assessed"}), "publicity", P.MANAGE_CASES,
               (_qualifies,)),
    Transition("notify_not_qualified", frozenset({"assessed"}), "not_qualified",
               P.MANAGE_CASES, (_does_not_qualify,)),
    Transition("end_publicity", frozenset({"publicity"}), "under_review", P.MANAGE_CASES),
    Transition("approve", frozenset({"under_review"}), "approved", P.APPROVE_CASES,
               (_independent_approver, _qualifies)),
    Transition("refuse", frozenset({"under_review"}), "not_qualified", P.APPROVE_CASES,
               (_independent_approver, _note_required)),
    Transition("close", frozenset({"not_qualified"}), "closed", P.MANAGE_CASES),
    Transition("withdraw", OPEN, "withdrawn", P.MANAGE_CASES, (_note_required,)),
    Transition("record_death", OPEN, "deceased", P.MANAGE_CASES),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}


def register_guard(action: str, guard: Guard) -> None:
    """Add a guard to a transition (used by areas that own a rule, e.g. doctors' signing)."""
    transition = BY_ACTION[action]
    updated = Transition(transition.action, transition.sources, transition.target,
                         transition.permission, transition.guards + (guard,))
    BY_ACTION[action] = updated


def allowed_actions(case: Case, access) -> list[str]:
    """Actions the user could take on the case now (guards with data are checked on apply)."""
    return [
        t.action for t in BY_ACTION.values()
        if case.state in t.sources and access.can(t.permission)
    ]


def apply_transition(case: Case, action: str, *, actor, access, note: str = "",
                     **data) -> CaseEvent:
    """Move the case along one transition, or raise TransitionRefused."""
    transition = BY_ACTION.get(action)
    if transition is None:
        raise TransitionRefused("unknown_action")
    if case.state not in transition.sources:
        raise TransitionRefused("wrong_state")
    if not access.can(transition.permission):
        raise TransitionRefused("not_permitted")
    data = {"note": note, **data}
    for guard in transition.guards:
        code = guard(case, actor, data)
        if code:
            raise TransitionRefused(code)
    previous = case.state
    case.state = transition.target
    event = CaseEvent(township_id=case.township_id, case=case, actor_id=actor.id,
                      action=action, from_state=previous, to_state=transition.target,
                      note=note)
    db.session.add(event)
    db.session.flush()
    record_event(f"case.{action}", actor=actor, obj=case,
                 details={"from": previous, "to": transition.target})
    return event
