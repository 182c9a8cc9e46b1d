"""Workflow guards of the doctors' area: who may sign an assessment or a second review.

Registered once, at import, on the transitions of `portal.cases.workflow`:
- only a doctor certified on the signing day for the case's category(ies) may sign;
- a doctor never assesses a person they are guardian of, nor a person of a township where
  they hold a township_staff membership (DESIGN.md §5);
- the second review is signed by the case's second doctor, who differs from the first.
The words of their refusal codes are in portal/refusals/catalogue.py.
"""
from __future__ import annotations

from portal.cases.effects import guard
from portal.cases.models import Case
from portal.doctors.services import (
    is_guardian_of,
    is_staff_of,
    local_today,
    signing_refusal,
)


def _categories(case: Case, data: dict) -> list[str]:
    categories = list(data.get("categories") or [])
    if not categories:
        main = data.get("category") or case.category or case.requested_category
        categories = [main] if main else []
    return categories


def _independent(case: Case, user_id: int | None) -> str | None:
    if is_guardian_of(user_id, case.person_id):
        return "doctor_is_guardian"
    if is_staff_of(user_id, case.township_id):
        return "doctor_is_township_staff"
    return None


def _categories_or_unknown(case: Case, data: dict) -> list[str]:
    # A signature without a category cannot be checked against the certification: refuse it
    # through a category no certification holds.
    return _categories(case, data) or ["unknown"]


@guard("assessing_doctor")
def guard_assessing_doctor(case: Case, actor, data: dict) -> str | None:
    """The signer is the case's doctor, certified for its category, and independent."""
    actor_id = getattr(actor, "id", None)
    if case.doctor_id != actor_id:
        return "not_assigned_doctor"
    day = data.get("signed_on") or local_today()
    return (signing_refusal(actor_id, _categories_or_unknown(case, data), day)
            or _independent(case, actor_id))


@guard("second_doctor_chosen")
def guard_second_doctor_chosen(case: Case, actor, data: dict) -> str | None:
    """A second review goes to a different doctor certified for the category."""
    if case.second_doctor_id is None:
        return "second_doctor_missing"
    if case.second_doctor_id == case.doctor_id:
        return "second_doctor_is_first"
    day = data.get("signed_on") or local_today()
    if signing_refusal(case.second_doctor_id, _categories_or_unknown(case, data), day):
        return "second_doctor_not_certified"
    return None


@guard("second_doctor")
def guard_second_doctor(case: Case, actor, data: dict) -> str | None:
    """The review is signed by the second doctor, certified and independent."""
    actor_id = getattr(actor, "id", None)
    if case.second_doctor_id is None or case.second_doctor_id != actor_id:
        return "not_second_doctor"
    if actor_id == case.doctor_id:
        return "second_doctor_is_first"
    day = data.get("signed_on") or local_today()
    return (signing_refusal(actor_id, _categories_or_unknown(case, data), day)
            or _independent(case, actor_id))


