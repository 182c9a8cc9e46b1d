"""The objections area's rules of the case workflow, named by the table in
portal/cases/workflow.py:

- guard `no_open_objection` on `end_publicity`: a case with an objection not yet checked does
  not go to the city when its notice ends;
- guard `through_objection_service` on `uphold_objection`: a case is sent back for an upheld
  objection only by `portal.objections.services.uphold_objection`, which records the decision;
- effect `reopen_after_objection` of `uphold_objection`.
"""
from __future__ import annotations

from sqlalchemy import select

from portal.cases.effects import effect, guard
from portal.cases.models import Case
from portal.extensions import db
from portal.objections.models import Objection

# The marker `uphold_objection` passes to the transition (data["via"]).
VIA = "objections.uphold"


def has_open_objection(case: Case) -> bool:
    """Whether an objection to the case waits to be checked."""
    return db.session.execute(
        select(Objection.id).where(Objection.case_id == case.id, Objection.status == "open")
        .limit(1)).first() is not None


@guard("no_open_objection")
def _no_open_objection(case: Case, actor, data: dict) -> str | None:
    """An objection not yet checked holds the case at the end of its notice."""
    return "objection_open" if has_open_objection(case) else None


@guard("through_objection_service")
def _through_objection_service(case: Case, actor, data: dict) -> str | None:
    """An objection is upheld only through its own page, which records the decision."""
    return None if data.get("via") == VIA else "objection_use_case_page"




@effect("reopen_after_objection")
def reopen_after_objection(case: Case, actor, data: dict) -> None:
    """An upheld objection: the notice's dates and the result go; a new assessment follows."""
    case.publicity_starts_on = case.publicity_ends_on = None
    case.category = case.grade = None
    case.not_disabled_reason = ""
    case.second_doctor_id = None
