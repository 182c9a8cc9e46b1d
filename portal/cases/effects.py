"""The guards and effects of the workflow's transitions: small functions registered by name,
named by the transition table (`portal/cases/workflow.py`). `apply_transition` runs the
guards before the state change and the effects right after it, in the same unit of work.

An area that owns a rule registers it with `@guard("name")` (it returns None or a refusal
code) or `@effect("name")` in its own module, and the table names it; nothing changes the
table at import. The app factory checks that every name in the table is registered, and
docs/workflow.md is generated from the table and both registries (`flask workflow doc`).
"""
from __future__ import annotations

from collections.abc import Callable

from portal.cases.models import Case
from portal.domain.certificate import make_number
from portal.domain.workdays import add_workdays
from portal.models_base import utcnow

# An effect changes the case (and what hangs on it) for a transition that has been allowed.
# `data` holds the step's inputs and `today` (the day the rules count with).
Effect = Callable[[Case, object, dict], None]
EFFECTS: dict[str, Effect] = {}
# A guard returns None when the transition may happen, or a refusal code (in the catalogue).
Guard = Callable[[Case, object, dict], str | None]
GUARDS: dict[str, Guard] = {}

PUBLICITY_WORKDAYS = 5
REVIEW_WORKDAYS = 10
APPEAL_WORKDAYS = 10

# Status of the case's roster entry once the case is in a state.
ENTRY_STATUS_BY_STATE = {
    "registered": "in_progress",
    "appealed": "in_progress",
    "under_review": "in_progress",
    "approved": "certified",
    "not_qualified": "not_qualified",
    "withdrawn": "withdrawn",
    "deceased": "deceased",
}


def effect(name: str) -> Callable[[Effect], Effect]:
    """Register `fn` as the effect the transition table calls `name`."""
    def register(fn: Effect) -> Effect:
        if name in EFFECTS and EFFECTS[name] is not fn:
            raise ValueError(f"two effects are called {name!r}")
        EFFECTS[name] = fn
        return fn
    return register


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register `fn` as the guard the transition table calls `name`."""
    def register(fn: Guard) -> Guard:
        if name in GUARDS and GUARDS[name] is not fn:
            raise ValueError(f"two guards are called {name!r}")
        GUARDS[name] = fn
        return fn
    return register


def set_entry_status(case: Case) -> None:
    status = ENTRY_STATUS_BY_STATE.get(case.state)
    if case.roster_entry is not None and status is not None:
        case.roster_entry.status = status


@effect("update_roster_entry")
def update_roster_entry(case: Case, actor, data: dict) -> None:
    """The person's roster entry follows the case (in progress, certified, refused...)."""
    set_entry_status(case)


@effect("open_publicity")
def open_publicity(case: Case, actor, data: dict) -> None:
    """The 公示 runs 5 working days from the day it was really posted."""
    case.publicity_starts_on = data["starts_on"]
    case.publicity_ends_on = add_workdays(case.publicity_starts_on, PUBLICITY_WORKDAYS)


@effect("schedule_review")
def schedule_review(case: Case, actor, data: dict) -> None:
    """The city reviews within 10 working days."""
    case.review_due_on = add_workdays(data["today"], REVIEW_WORKDAYS)


@effect("number_certificate")
def number_certificate(case: Case, actor, data: dict) -> None:
    """Approval: who and when, and the certificate number (ID number, category, grade)."""
    case.approved_by_id = actor.id
    case.approved_at = utcnow()
    case.certificate_number = make_number(case.person.id_number, case.category, case.grade,
                                          today=data["today"])


@effect("clear_notification")
def clear_notification(case: Case, actor, data: dict) -> None:
    """A refusal by the city is told afresh (its own appeal window)."""
    case.notified_on = case.appeal_due_on = None


@effect("open_appeal_window")
def open_appeal_window(case: Case, actor, data: dict) -> None:
    """The person may appeal within 10 working days of the day they were told."""
    case.notified_on = data["notified_on"]
    case.appeal_due_on = add_workdays(case.notified_on, APPEAL_WORKDAYS)


@effect("record_final_refusal")
def record_final_refusal(case: Case, actor, data: dict) -> None:
    """The provincial committee's refusal is final; the roster entry says so."""
    case.final = True
    case.grade = None
    case.not_disabled_reason = data["note"]
    if case.roster_entry is not None:
        case.roster_entry.status = "not_qualified"


@effect("record_final_grade")
def record_final_grade(case: Case, actor, data: dict) -> None:
    """The provincial committee's grade is final; the city reviews it."""
    case.final = True
    case.category, case.grade = data["category"], data["grade"]
    case.not_disabled_reason = ""
    case.review_due_on = add_workdays(data["today"], REVIEW_WORKDAYS)


@effect("record_death")
def record_death(case: Case, actor, data: dict) -> None:
    """The person is recorded as deceased (no further case may be opened)."""
    case.person.deceased = True
