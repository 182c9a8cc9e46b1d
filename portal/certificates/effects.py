"""The handover's effects in the workflow table (transition "issue"): a certificate handed
over supersedes the person's older ones and joins the register."""
from __future__ import annotations

from sqlalchemy import select

from portal.cases.effects import effect
from portal.certificates.models import Certificate
from portal.extensions import db
from portal.models_base import utcnow


@effect("supersede_older_certificates")
def supersede_older_certificates(case, actor, data: dict) -> None:
    """The person's older valid certificates printed by the portal are cancelled."""
    certificate = data["certificate"]
    for older in db.session.scalars(select(Certificate).where(
            Certificate.person_id == certificate.person_id, Certificate.id != certificate.id,
            Certificate.status == "valid", Certificate.issue_date <= certificate.issue_date)):
        older.status = "cancelled"
        older.cancelled_at = utcnow()


@effect("register_holder")
def register_holder(case, actor, data: dict) -> None:
    """The handed-over certificate joins the register; the person's record shows it."""
    from portal.register.services import record_handed_over

    certificate = data["certificate"]
    record_handed_over(certificate, actor, data["today"])
    person = certificate.person
    person.certificate_number = certificate.number
    person.certificate_category = certificate.category
    person.certificate_grade = certificate.grade
    person.certificate_expires_on = certificate.expires_on
