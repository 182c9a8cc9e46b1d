"""What training adds to other areas' pages, through two template functions and one include
each:

- `doctor_pool_card()`: the city dashboard's summary of the doctor pool
  (templates/training/_dashboard.html, included by templates/dashboards/city.html);
- `training_record(user)`: on the doctors' registry's certification page, what the doctor is
  qualified for (templates/training/_record.html, included by templates/doctors/edit.html).
"""
from __future__ import annotations

from flask import g

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.domain.grading import CATEGORIES
from portal.training import bp
from portal.training.pool import Registry, certified, needs
from portal.training.rules import Qualification, qualifications


def doctor_pool_card() -> dict | None:
    """Doctors certified today and a year ago per category, and the categories short of
    doctors on the coming concentrated days; None for a user outside the city's roles."""
    access = g.get("access")
    if access is None or not access.city_wide or not access.can(Permission.VIEW_CITY):
        return None
    today = local_today()
    registry = Registry.load()  # read once for both
    return {"figures": certified(today, registry), "needs": needs(access, today, registry)}


def training_record(user) -> list[Qualification]:
    """Per category the doctor passed, failed or carried over, in the categories' order."""
    if user is None:
        return []
    found = qualifications(user.id)
    return [found[c] for c in CATEGORIES if c in found]


@bp.app_context_processor
def _training_parts():
    return {"doctor_pool_card": doctor_pool_card, "training_record": training_record}
