"""Guardian invites (make, revoke, accept) and what the guardian portal tells about a case."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from portal.audit.services import record_event
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.auth.roles import Role
from portal.auth.services import add_membership, check_password_strength
from portal.cases.models import Case
from portal.evidence.models import Evidence
from portal.evidence.services import store_upload
from portal.extensions import db
from portal.guardian.models import GuardianInvite, GuardianUpload
from portal.models_base import utcnow
from portal.refusals import Refused
from portal.rosters.models import Guardianship
from portal.scheduling.models import DayAssignment, HomeVisit
from portal.tenancy import Access, scoped

DEFAULT_INVITE_DAYS = 7


def hash_token(token: str) -> str:
    """The SHA-256 (hex) under which an invite token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def invite_days() -> int:
    """How many days an invite link stays valid (GUARDIAN_INVITE_DAYS, default 7)."""
    return int(current_app.config.get("GUARDIAN_INVITE_DAYS") or DEFAULT_INVITE_DAYS)


def create_invite(case: Case, *, actor, guardian_name: str, relation: str = "",
                  phone: str = "", now: datetime | None = None) -> tuple[GuardianInvite, str]:
    """Make a single-use invite for `case`; returns the row and the token (shown once)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    invite = GuardianInvite(
        township_id=case.township_id, case_id=case.id, person_id=case.person_id,
        token_sha256=hash_token(token), guardian_name=guardian_name.strip(),
        relation=relation.strip(), phone=phone.strip(), created_by_id=actor.id,
        created_at=now, expires_at=now + timedelta(days=invite_days()),
    )
    db.session.add(invite)
    db.session.flush()
    record_event("guardian_invite.create", actor=actor, obj=invite,
                 details={"case_id": case.id, "days": invite_days()})
    return invite, token


def revoke_invite(invite: GuardianInvite, *, actor, now: datetime | None = None) -> None:
    """Make a pending invite unusable."""
    now = now or utcnow()
    if invite.status(now) != "pending":
        raise Refused("invite_revoke_not_pending")
    invite.revoked_at = now
    invite.revoked_by_id = actor.id
    db.session.flush()
    record_event("guardian_invite.revoke", actor=actor, obj=invite,
                 details={"case_id": invite.case_id})


def find_invite(token: str) -> GuardianInvite | None:
    """The invite of a token from a link (looked up by its hash: the link is the credential)."""
    if not token or len(token) > 200:
        return None
    return db.session.execute(
        select(GuardianInvite).where(GuardianInvite.token_sha256 == hash_token(token))
    ).scalar_one_or_none()


def _consume(invite: GuardianInvite, user: User, mode: str, now: datetime) -> None:
    """Mark the invite used, atomically: of two simultaneous uses only one succeeds."""
    result = db.session.execute(
        update(GuardianInvite)
        .where(GuardianInvite.id == invite.id, GuardianInvite.used_at.is_(None),
               GuardianInvite.revoked_at.is_(None), GuardianInvite.expires_at > now)
        .values(used_at=now, used_by_id=user.id, used_mode=mode)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Refused("invite_not_pending", status=410)
    db.session.refresh(invite)


def _link_person(invite: GuardianInvite, user: User) -> Guardianship:
    existing = db.session.execute(
        select(Guardianship).where(Guardianship.user_id == user.id,
                                   Guardianship.person_id == invite.person_id)
    ).scalar_one_or_none()
    if existing is not None:
        if not existing.active:  # invited again after the township had ended it
            existing.ended_at, existing.ended_by_id, existing.end_reason = None, None, ""
            db.session.flush()
            record_event("guardianship.resume", actor=user, obj=existing,
                         details={"invite_id": invite.id, "user_id": user.id})
        return existing
    link = Guardianship(township_id=invite.township_id, user_id=user.id,
                        person_id=invite.person_id, relation=invite.relation)
    db.session.add(link)
    db.session.flush()
    record_event("guardianship.add", actor=user, obj=link,
                 details={"invite_id": invite.id, "user_id": user.id})
    return link


def _new_username() -> str:
    """A short username easy to type on a phone: 'g' and eight digits, not taken yet."""
    while True:
        name = "g" + "".join(secrets.choice("0123456789") for _ in range(8))
        if db.session.execute(select(User.id).where(User.username == name)).first() is None:
            return name


def _new_guardian(invite: GuardianInvite, password_hash: str) -> User:
    user = User(username=_new_username(), display_name=invite.guardian_name or "guardian",
                password_hash=password_hash)
    db.session.add(user)
    db.session.flush()
    record_event("user.create", actor=user, obj=user, details={"invite_id": invite.id})
    add_membership(user, Role.GUARDIAN, None, actor=user)
    return user


def _check_pending(invite: GuardianInvite, now: datetime) -> None:
    if invite.status(now) != "pending":
        raise Refused("invite_not_pending", status=410)


def _check_guardian_password(password: str) -> None:
    """The password rule, refused in the shorter words of the guardian's phone page."""
    try:
        check_password_strength(password)
    except Refused as refusal:
        raise Refused(f"guardian_{refusal.code}", field="password") from None


def accept_with_password(invite: GuardianInvite, password: str,
                         now: datetime | None = None) -> User:
    """Use the invite to open a guardian account with a password; returns the new user."""
    now = now or utcnow()
    _check_pending(invite, now)
    _check_guardian_password(password)
    user = _new_guardian(invite, hash_password(password))
    _consume(invite, user, "account", now)
    _link_person(invite, user)
    record_event("guardian_invite.accept", actor=user, obj=invite, details={"mode": "account"})
    return user


def accept_for_session(invite: GuardianInvite, now: datetime | None = None) -> User:
    """Use the invite for this browser session only: a guardian user no password opens."""
    now = now or utcnow()
    _check_pending(invite, now)
    # "!" is never produced by the password hasher, so no password ever matches this.
    user = _new_guardian(invite, "!session-only:" + secrets.token_hex(16))
    _consume(invite, user, "session", now)
    _link_person(invite, user)
    record_event("guardian_invite.accept", actor=user, obj=invite, details={"mode": "session"})
    return user


def is_guardian_only(user) -> bool:
    """Whether the account is a guardian's and nothing else (invites attach only to those)."""
    roles = user.roles
    return bool(roles) and roles == {Role.GUARDIAN}


def accept_into_account(invite: GuardianInvite, user: User,
                        now: datetime | None = None) -> Guardianship:
    """Add the invite's applicant to the logged-in guardian's account."""
    now = now or utcnow()
    _check_pending(invite, now)
    if not is_guardian_only(user):
        raise Refused("invite_not_guardian_account", status=403)
    _consume(invite, user, "existing", now)
    link = _link_person(invite, user)
    record_event("guardian_invite.accept", actor=user, obj=invite, details={"mode": "existing"})
    return link


# --- what the guardian portal tells about a case ------------------------------------------

@dataclass
class Appointment:
    """The next place and time the applicant is expected."""

    kind: str  # "day" or "visit"
    on: date
    hospitals: list[str]
    starts_at: object = None
    ends_at: object = None
    address: str = ""


def next_appointment(case: Case, access: Access, today: date) -> Appointment | None:
    """The case's coming concentrated day or booked home visit, whichever comes first."""
    found: list[Appointment] = []
    if case.concentrated_day_id is not None:
        place = db.session.execute(
            scoped(select(DayAssignment), access).where(
                DayAssignment.case_id == case.id,
                DayAssignment.day_id == case.concentrated_day_id,
            )
        ).scalar_one_or_none()
        if place is not None and place.day.day >= today and place.attendance == "expected":
            found.append(Appointment("day", place.day.day, [h.name for h in place.day.hospitals]))
    visit = db.session.execute(
        scoped(select(HomeVisit), access)
        .where(HomeVisit.case_id == case.id, HomeVisit.status == "booked",
               HomeVisit.visit_date >= today)
        .order_by(HomeVisit.visit_date, HomeVisit.starts_at).limit(1)
    ).scalar_one_or_none()
    if visit is not None:
        found.append(Appointment("visit", visit.visit_date, [], visit.starts_at, visit.ends_at,
                                 visit.address))
    return min(found, key=lambda a: a.on) if found else None


# --- documents: uploads from the guardian's phone and the checklist ---------------------------

# The evidence kind each document the guardian can name is kept as.
DOCUMENT_KINDS = {
    "id_card": "photo",
    "household_register": "photo",
    "portrait": "photo",
    "guardian_id": "photo",
    "medical_record": "medical_record",
    "video": "video",
    "other_photo": "photo",
}
DOCUMENT_LABELS = {
    "id_card": _l("Photo of the ID card (both sides)"),
    "household_register": _l("Photo of the household register page"),
    "portrait": _l("2-inch photo on a white background"),
    "guardian_id": _l("The guardian's ID card"),
    "medical_record": _l("Medical records (hospital records, diagnosis)"),
    "video": _l("Video of the applicant (if the doctor asked for one)"),
    "other_photo": _l("Another photo"),
}
# Categories for which the rules ask for medical records and the guardian's documents.
RECORD_CATEGORIES = frozenset({"mental", "intellectual"})


def upload_document(*, case: Case, document: str, stream, filename: str,
                    claimed_type: str | None, actor, store, config) -> GuardianUpload:
    """Keep one file from the guardian as evidence of `case`, labelled with its document."""
    evidence = store_upload(case=case, stream=stream, filename=filename,
                            claimed_type=claimed_type, kind=DOCUMENT_KINDS[document],
                            actor=actor, store=store, config=config, uploaded_via="guardian")
    upload = GuardianUpload(township_id=case.township_id, case_id=case.id,
                            evidence_id=evidence.id, document=document, uploaded_by_id=actor.id)
    db.session.add(upload)
    db.session.flush()
    record_event("guardian.upload", actor=actor, obj=upload,
                 details={"case_id": case.id, "document": document, "evidence_id": evidence.id})
    return upload


@dataclass
class ChecklistItem:
    """One document the application needs, and whether it has been received."""

    code: str
    label: str
    received: int


def _age(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def documents_checklist(case: Case, access: Access, today: date) -> list[ChecklistItem]:
    """The documents the rules ask for (DOMAIN.md), counted from the evidence received."""
    category = case.category or case.requested_category
    needed = ["id_card", "household_register", "portrait"]
    if _age(case.person.birth_date, today) < 18 or category in RECORD_CATEGORIES:
        needed.append("guardian_id")
    if category in RECORD_CATEGORIES or case.path == "records":
        needed.append("medical_record")
    labelled = db.session.execute(
        scoped(select(GuardianUpload.document, func.count()), access)
        .join(Evidence, Evidence.id == GuardianUpload.evidence_id)
        .where(GuardianUpload.case_id == case.id, Evidence.superseded_at.is_(None))
        .group_by(GuardianUpload.document)
    ).all()
    counts = dict(labelled)
    # Medical records count whoever sent them (staff scan them too): by evidence kind.
    counts["medical_record"] = len(db.session.scalars(
        scoped(select(Evidence.id), access).where(
            Evidence.case_id == case.id, Evidence.kind == "medical_record",
            Evidence.superseded_at.is_(None))
    ).all())
    return [ChecklistItem(code, str(DOCUMENT_LABELS[code]), counts.get(code, 0))
            for code in needed]


def guardian_uploads(case: Case, access: Access) -> list[GuardianUpload]:
    """What guardians sent for the case, newest first."""
    return list(db.session.scalars(
        scoped(select(GuardianUpload), access).where(GuardianUpload.case_id == case.id)
        .order_by(GuardianUpload.id.desc())
    ))

