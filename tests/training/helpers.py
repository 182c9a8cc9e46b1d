"""Training records made directly in the database, for tests of other areas (the doctors'
registry) that need a doctor qualified by a passed training."""
from __future__ import annotations

from datetime import date, timedelta

from portal.clock import local_today


def pass_training(db_session, doctor, categories=("physical",), *, passed: bool = True,
                  held_on: date | None = None):
    """A session held `held_on` (default 30 days ago) that `doctor` passed (or failed) in
    each of `categories`."""
    from portal.training.models import TrainingAttendee, TrainingResult, TrainingSession

    session = TrainingSession(held_on=held_on or local_today() - timedelta(days=30),
                              place="州医院会议室", trainer="培训专家",
                              categories=list(categories))
    attendee = TrainingAttendee(user_id=doctor.id)
    attendee.results = [TrainingResult(category=c, passed=passed) for c in categories]
    session.attendees = [attendee]
    db_session.add(session)
    db_session.flush()
    return session
