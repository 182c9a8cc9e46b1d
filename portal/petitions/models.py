"""Petitions (信访): the petition, its timeline, its extension and its attachments.

A petition is not a township's row: it may concern no township at all (the city DPF, a
hospital), and one about a township's own staff must stay out of that township's sight. So
`township_id` (the township it concerns) may be empty and the access policy, not the tenant
filter, decides who sees it (portal/access.py).
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TimestampMixin, utcnow

CHANNELS = ("visit", "letter", "phone", "hotline", "online", "guardian", "public_form")
# Channels staff record a petition from; the other two are the guardian's and the public form.
STAFF_CHANNELS = ("visit", "letter", "phone", "hotline", "online")
CATEGORIES = ("assessment", "certificate", "staff_conduct", "benefits", "other")
UNIT_KINDS = ("township_dpf", "city_dpf", "health_bureau", "hospital")
STATES = ("received", "accepted", "not_accepted", "answered", "under_review", "reviewed")
# The office owes a step (and a deadline runs) in these states.
OPEN_STATES = ("received", "accepted", "under_review")
EXTENSION_STATES = ("pending", "approved", "declined")
TOLD_HOW = ("phone", "letter", "sms", "in_person")

_ONE_APPROVED = text("status = 'approved'")


class Petition(TimestampMixin, db.Model):
    """One petition: who, about what, which unit handles it, and where it stands."""

    __tablename__ = "petitions"
    __table_args__ = (Index("ix_petitions_state_due_on", "state", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the petitioner quotes (XF20260301-7K3Q9P): random, never a count of petitions.
    reference: Mapped[str] = mapped_column(String(24), unique=True)
    channel: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20), default="other")
    content: Mapped[str] = mapped_column(Text)

    # The petitioner: shown only to the officials handling the petition.
    petitioner_name: Mapped[str] = mapped_column(String(100))
    petitioner_phone: Mapped[str] = mapped_column(String(40), default="")
    petitioner_address: Mapped[str] = mapped_column(String(200), default="")
    # The guardian's account when the petition was filed from the guardian portal.
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    # The subject: a township, a unit, a person, a case, a certificate (all optional).
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    about_township_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    subject_unit_kind: Mapped[str | None] = mapped_column(String(20))
    subject_hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"),
                                                       index=True)

    # The handling unit now; `handler_id` the official who took it on, if any.
    unit_kind: Mapped[str] = mapped_column(String(20))
    unit_township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"),
                                                         index=True)
    unit_hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)

    state: Mapped[str] = mapped_column(String(20), default="received")
    # The office's current deadline (the step it owes), empty when it owes none.
    due_on: Mapped[date | None] = mapped_column(Date)
    received_on: Mapped[date] = mapped_column(Date)
    acceptance_due_on: Mapped[date] = mapped_column(Date)
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    told_on: Mapped[date | None] = mapped_column(Date)
    told_how: Mapped[str | None] = mapped_column(String(20))
    answer_due_on: Mapped[date | None] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answer: Mapped[str] = mapped_column(Text, default="")
    review_until: Mapped[date | None] = mapped_column(Date)
    review_requested_on: Mapped[date | None] = mapped_column(Date)
    review_reason: Mapped[str] = mapped_column(Text, default="")
    review_due_on: Mapped[date | None] = mapped_column(Date)
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_answer: Mapped[str] = mapped_column(Text, default="")

    township = relationship("Township", foreign_keys=[township_id])
    unit_township = relationship("Township", foreign_keys=[unit_township_id])
    unit_hospital = relationship("Hospital", foreign_keys=[unit_hospital_id])
    subject_hospital = relationship("Hospital", foreign_keys=[subject_hospital_id])
    events: Mapped[list[PetitionEvent]] = relationship(
        back_populates="petition", order_by="PetitionEvent.id", cascade="all, delete-orphan")
    attachments: Mapped[list[PetitionAttachment]] = relationship(
        back_populates="petition", order_by="PetitionAttachment.id",
        cascade="all, delete-orphan")
    extensions: Mapped[list[PetitionExtension]] = relationship(
        back_populates="petition", order_by="PetitionExtension.id",
        cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def __repr__(self) -> str:
        return f"<Petition {self.reference} {self.state}>"


class PetitionEvent(db.Model):
    """One step on a petition's timeline (the audit trail holds the same step, chained)."""

    __tablename__ = "petition_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # The calendar day the step counts on (the portal's today when it was recorded).
    happened_on: Mapped[date] = mapped_column(Date)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # Units before and after, days, deadlines: codes and ids only, never personal data.
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    petition: Mapped[Petition] = relationship(back_populates="events")
    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<PetitionEvent {self.action} {self.petition_id}>"


class PetitionExtension(db.Model):
    """An extension of the answer's time limit: asked for with a reason, decided by another
    official of the approving role. At most one is ever approved (the partial unique index)."""

    __tablename__ = "petition_extensions"
    __table_args__ = (
        Index("uq_petition_extensions_one_approved", "petition_id", unique=True,
              sqlite_where=_ONE_APPROVED, postgresql_where=_ONE_APPROVED),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_on: Mapped[date] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    petition: Mapped[Petition] = relationship(back_populates="extensions")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    def __repr__(self) -> str:
        return f"<PetitionExtension {self.petition_id} {self.days}d {self.status}>"


class PetitionAttachment(db.Model):
    """A file given with a petition, kept in the evidence store (key, size, SHA-256)."""

    __tablename__ = "petition_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    petition: Mapped[Petition] = relationship(back_populates="attachments")

    def __repr__(self) -> str:
        return f"<PetitionAttachment {self.object_key}>"
