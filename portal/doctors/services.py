"""The doctors' registry: saving certifications and checking a doctor's right to sign."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.models import Membership, User
from portal.auth.roles import Role
from portal.clock import local_today  # noqa: F401 (re-exported)
from portal.doctors.models import DoctorCertification
from portal.extensions import db
from portal.refusals import Refused

EXPIRING_SOON_DAYS = 60


@dataclass
class CertificationData:
    number: str
    hospital_id: int
    categories: list[str]
    valid_from: date
    valid_until: date
    active: bool = True


# Rules other areas add to saving a certification: called as check(user, cert, data) after the
# registry's own checks, with the certification on record (None for a new one) still unchanged;
# a check may raise Refused. portal/training adds "a category needs a passed training".
CERTIFICATION_CHECKS: list[Callable] = []


def is_doctor(user: User) -> bool:
    """Whether the account holds the (city-wide) doctor role."""
    return any(m.role == Role.DOCTOR for m in user.memberships)


def doctor_users() -> list[User]:
    """Every account with the doctor role, by name."""
    stmt = (select(User).where(User.memberships.any(Membership.role == Role.DOCTOR.value))
            .order_by(User.display_name, User.username))
    return list(db.session.scalars(stmt))


def certification_of(user_id: int | None) -> DoctorCertification | None:
    """The certification of a doctor account, if any."""
    if user_id is None:
        return None
    return db.session.scalar(
        select(DoctorCertification).where(DoctorCertification.user_id == user_id))


def save_certification(user: User, actor, data: CertificationData) -> DoctorCertification:
    """Create or update the certification of a doctor account (audited, no personal data)."""
    if not is_doctor(user):
        raise Refused("certification_not_a_doctor", field="number")
    number = data.number.strip()
    if not number:
        raise Refused("certification_number_required", field="number")
    if data.valid_until < data.valid_from:
        raise Refused("certification_dates_reversed", field="valid_until")
    if not data.categories:
        raise Refused("certification_categories_required", field="categories")
    cert = certification_of(user.id)
    taken = db.session.scalar(select(DoctorCertification.id).where(
        DoctorCertification.number == number))
    if taken is not None and (cert is None or taken != cert.id):
        raise Refused("certification_number_taken", field="number")
    for check in CERTIFICATION_CHECKS:
        check(user, cert, data)
    created = cert is None
    if created:
        cert = DoctorCertification(user_id=user.id)
        db.session.add(cert)
    cert.number = number
    cert.hospital_id = data.hospital_id
    cert.categories = sorted(set(data.categories))
    cert.valid_from = data.valid_from
    cert.valid_until = data.valid_until
    cert.active = data.active
    db.session.flush()
    record_event("doctor.certification_" + ("created" if created else "updated"), actor=actor,
                 obj=cert, details={"doctor_id": user.id, "categories": cert.categories,
                                    "valid_until": cert.valid_until.isoformat(),
                                    "active": cert.active})
    return cert


def signing_refusal(user_id: int | None, categories: Iterable[str], day: date) -> str | None:
    """Why the doctor may not sign an assessment of `categories` on `day` (a refusal code), or
    None."""
    cert = certification_of(user_id)
    if cert is None:
        return "doctor_not_certified"
    if not cert.active:
        return "certification_inactive"
    if day < cert.valid_from:
        return "certification_not_yet_valid"
    if day > cert.valid_until:
        return "certification_expired"
    if any(c not in (cert.categories or []) for c in categories):
        return "category_not_certified"
    return None


def certified_doctors(categories: Iterable[str], day: date,
                      exclude: Iterable[int] = ()) -> list[User]:
    """Doctor accounts certified on `day` for every one of `categories`."""
    wanted = list(categories)
    skip = set(exclude)
    rows = db.session.execute(
        select(User, DoctorCertification).join(DoctorCertification,
                                               DoctorCertification.user_id == User.id)
        .where(User.active.is_(True)).order_by(User.display_name, User.username)
    ).all()
    return [user for user, cert in rows
            if user.id not in skip and all(cert.covers(c, day) for c in wanted)]


def is_guardian_of(user_id: int | None, person_id: int) -> bool:
    """Whether the account is registered as guardian or agent of the person."""
    from portal.rosters.models import Guardianship

    return db.session.execute(select(Guardianship.id).where(
        Guardianship.user_id == user_id, Guardianship.person_id == person_id
    ).limit(1)).first() is not None


def is_staff_of(user_id: int | None, township_id: int) -> bool:
    """Whether the account holds a township_staff membership in the township."""
    return db.session.execute(select(Membership.id).where(
        Membership.user_id == user_id, Membership.role == Role.TOWNSHIP_STAFF.value,
        Membership.township_id == township_id,
    ).limit(1)).first() is not None

