"""What a passed training qualifies a doctor for, and the rule the doctors' registry applies.

A doctor may be registered (or renewed) for a category only when qualified for it on the day
of saving: a passed result for that category in a session held on or before that day, or a
category carried over from a certification on record before the rule existed
(`PriorQualification`, written by the migration). A certification switched off needs nothing.

Both checks are added to `portal.doctors.services.CERTIFICATION_CHECKS` when this module is
imported (by the package, that is by the app factory's blueprint list).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import LazyString, format_date
from sqlalchemy import select

from portal.clock import local_today
from portal.doctors.models import DoctorCertification
from portal.doctors.services import CERTIFICATION_CHECKS, CertificationData
from portal.extensions import db
from portal.labels import LABELS
from portal.refusals import Refused
from portal.training.models import (
    CertificationVersion,
    PriorQualification,
    TrainingAttendee,
    TrainingResult,
    TrainingSession,
)


@dataclass
class Qualification:
    """Why a doctor is (or is not) qualified for one category."""

    category: str
    passed_on: date | None = None  # the latest session passed
    passed_session_id: int | None = None
    prior_number: str | None = None  # carried over from this certification number
    failed_on: date | None = None  # the latest session failed

    @property
    def qualified(self) -> bool:
        return self.passed_on is not None or self.prior_number is not None


def qualifications(user_id: int, day: date | None = None) -> dict[str, Qualification]:
    """Per category, what qualifies the doctor on `day` (default today): passed and failed
    sessions held up to that day, and categories carried over from before the rule."""
    day = day or local_today()
    found: dict[str, Qualification] = {}
    rows = db.session.execute(
        select(TrainingResult.category, TrainingResult.passed, TrainingSession.held_on,
               TrainingSession.id)
        .join(TrainingAttendee, TrainingAttendee.id == TrainingResult.attendee_id)
        .join(TrainingSession, TrainingSession.id == TrainingAttendee.session_id)
        .where(TrainingAttendee.user_id == user_id, TrainingSession.held_on <= day)
        .order_by(TrainingSession.held_on, TrainingSession.id))
    for category, passed, held_on, session_id in rows:
        entry = found.setdefault(category, Qualification(category))
        if passed:
            entry.passed_on, entry.passed_session_id = held_on, session_id
        else:
            entry.failed_on = held_on
    for prior in db.session.scalars(
            select(PriorQualification).where(PriorQualification.user_id == user_id)):
        found.setdefault(prior.category, Qualification(prior.category)).prior_number = (
            prior.certification_number)
    return found


def training_refusal(user_id: int, categories, day: date | None = None) -> Refused | None:
    """The refusal for the first category the doctor is not qualified for, or None."""
    known = qualifications(user_id, day)
    for category in categories:
        entry = known.get(category)
        if entry is not None and entry.qualified:
            continue
        label = LABELS["category"].get(category, category)
        if entry is not None and entry.failed_on is not None:
            return Refused("training_failed", field="categories", category=label,
                           date=LazyString(format_date, entry.failed_on, "long"))
        return Refused("training_not_passed", field="categories", category=label)
    return None


def require_passed_training(user, cert: DoctorCertification | None,
                            data: CertificationData) -> None:
    """A certification in force names only categories the doctor passed a training for."""
    if not data.active:
        return
    refusal = training_refusal(user.id, sorted(set(data.categories)))
    if refusal is not None:
        raise refusal


def keep_previous_version(user, cert: DoctorCertification | None,
                          data: CertificationData) -> None:
    """Keep the certification as it was when an edit changes what it certifies (the pool's
    figures of a past day read it)."""
    if cert is None:
        return
    before = (cert.hospital_id, sorted(cert.categories or []), cert.valid_from,
              cert.valid_until, cert.active)
    after = (data.hospital_id, sorted(set(data.categories)), data.valid_from,
             data.valid_until, data.active)
    if before == after:
        return
    db.session.add(CertificationVersion(
        user_id=cert.user_id, number=cert.number, hospital_id=cert.hospital_id,
        categories=list(cert.categories or []), valid_from=cert.valid_from,
        valid_until=cert.valid_until, active=cert.active, replaced_on=local_today()))


for _check in (require_passed_training, keep_previous_version):
    if _check not in CERTIFICATION_CHECKS:
        CERTIFICATION_CHECKS.append(_check)
