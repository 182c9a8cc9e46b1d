"""The demo doctors' training: one session a little over a year ago that every demo doctor
passed in every category, so that the registry accepts their certifications."""
from __future__ import annotations

from datetime import date, timedelta

from portal.doctors.services import certification_of
from portal.rosters.models import CATEGORIES
from portal.training.services import SessionData, record_results, record_session


def train_doctors(doctors, actor, today: date) -> None:
    """Record the session and its passed results for the doctors not yet certified."""
    untrained = [d for d in doctors if certification_of(d.id) is None]
    if not untrained:
        return
    session = record_session(actor, SessionData(
        held_on=today - timedelta(days=410), place="德宏州人民医院会议室",
        trainer="州残疾评定专家组", categories=list(CATEGORIES),
        attendee_ids=[d.id for d in untrained]))
    record_results(session, actor, {(d.id, c): "passed" for d in untrained for c in CATEGORIES})
