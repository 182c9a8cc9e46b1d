"""Invite links that let a guardian or agent act for an applicant in the guardian portal."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import TenantMixin, utcnow

INVITE_MODES = ("account", "session", "existing")


class GuardianInvite(TenantMixin, db.Model):
    """A single-use, expiring link for one case; only the SHA-256 of its token is stored."""

    __tablename__ = "guardian_invites"
    __table_args__ = (Index("ix_guardian_invites_township_case", "township_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    guardian_name: Mapped[str] = mapped_column(String(60))
    relation: Mapped[str] = mapped_column(String(30), default="")
    phone: Mapped[str] = mapped_column(String(30), default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # account: the guardian set a password; session: used for one browser session only;
    # existing: added to the account the guardian was logged in with.
    used_mode: Mapped[str | None] = mapped_column(String(10))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])
    used_by = relationship("User", foreign_keys=[used_by_id])

    def status(self, now: datetime) -> str:
        """pending, used, revoked or expired."""
        if self.revoked_at is not None:
            return "revoked"
        if self.used_at is not None:
            return "used"
        expires = self.expires_at
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=now.tzinfo)
        return "expired" if expires <= now else "pending"


    def __repr__(self) -> str:
        return f"<GuardianInvite {self.id} case {self.case_id}>"



# What a guardian says an uploaded file is; the documents checklist is derived from these
# (and, for medical records, from the evidence kind whoever uploaded it).
DOCUMENTS = ("id_card", "household_register", "portrait", "guardian_id", "medical_record",
             "video", "other_photo")


class GuardianUpload(TenantMixin, db.Model):
    """Which document a guardian said one piece of uploaded evidence is."""

    __tablename__ = "guardian_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), unique=True)
    document: Mapped[str] = mapped_column(String(30))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    evidence = relationship("Evidence")


    def __repr__(self) -> str:
        return f"<GuardianUpload {self.evidence_id} {self.document}>"
