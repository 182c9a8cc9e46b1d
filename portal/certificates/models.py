"""Certificates from print to hand: print batches, dispatch batches, handovers."""
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import TenantMixin, utcnow
from portal.rosters.models import Person

# "void": a card replaced by a new card of the same certificate (lost, damaged, data changed).
CERTIFICATE_STATUSES = ("valid", "cancelled", "void")
PRINT_BATCH_STATES = ("open", "printed", "cancelled")
HANDOVER_RELATIONS = ("self", "guardian", "family", "agent")


class PrintBatch(db.Model):
    """A city print run: the certificates of approved cases, of one township or of all."""

    __tablename__ = "print_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The township the batch was drawn from, or None for "all ready cases".
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="open")
    issue_date: Mapped[date] = mapped_column(Date)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    printed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    printed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")

    certificates: Mapped[list["Certificate"]] = relationship(
        back_populates="print_batch", order_by="Certificate.id"
    )

    def __repr__(self) -> str:
        return f"<PrintBatch {self.id} {self.state}>"


class DispatchBatch(TenantMixin, db.Model):
    """Printed certificates sent by the city to one township, acknowledged by the township."""

    __tablename__ = "dispatch_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    sent_count: Mapped[int] = mapped_column(Integer)
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_on: Mapped[date] = mapped_column(Date)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[date | None] = mapped_column(Date)
    # The count the township typed after counting the cards in the parcel.
    received_count: Mapped[int | None] = mapped_column(Integer)
    count_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    receipt_note: Mapped[str] = mapped_column(Text, default="")

    certificates: Mapped[list["Certificate"]] = relationship(
        back_populates="dispatch_batch", order_by="Certificate.id"
    )

    @property
    def received(self) -> bool:
        return self.received_at is not None

    def __repr__(self) -> str:
        return f"<DispatchBatch {self.id} township={self.township_id}>"


class Certificate(TenantMixin, db.Model):
    """One printed card: the case's number, category, grade and dates, and its QR token."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    # Equal to case_id while the certificate's batch is live: one live certificate per case,
    # guaranteed by the database (NULLs do not collide).
    live_case_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    number: Mapped[str] = mapped_column(String(22), index=True)
    category: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int] = mapped_column(Integer)
    issue_date: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="valid")
    # Random id carried (signed) by the QR code; never the number.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    print_batch_id: Mapped[int] = mapped_column(ForeignKey("print_batches.id"), index=True)
    printed_on: Mapped[date | None] = mapped_column(Date)
    dispatch_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("dispatch_batches.id"), index=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[Case] = relationship()
    person: Mapped[Person] = relationship()
    print_batch: Mapped[PrintBatch] = relationship(back_populates="certificates")
    dispatch_batch: Mapped[DispatchBatch | None] = relationship(back_populates="certificates")
    handover: Mapped["Handover | None"] = relationship(back_populates="certificate")
    reprints: Mapped[list["Reprint"]] = relationship(order_by="Reprint.id")

    def __repr__(self) -> str:
        return f"<Certificate {self.id} case={self.case_id} {self.status}>"


class Reprint(TenantMixin, db.Model):
    """A certificate printed again: who asked for it and why."""

    __tablename__ = "certificate_reprints"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<Reprint {self.id} certificate={self.certificate_id}>"


class Handover(TenantMixin, db.Model):
    """The certificate handed to the person or their guardian/agent, with the ID checked."""

    __tablename__ = "handovers"

    id: Mapped[int] = mapped_column(primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), unique=True)
    receiver_name: Mapped[str] = mapped_column(String(60))
    relation: Mapped[str] = mapped_column(String(20))
    # The last digits of the person's ID number were typed and matched (never stored).
    id_checked: Mapped[bool] = mapped_column(Boolean, default=True)
    handed_on: Mapped[date] = mapped_column(Date)
    handed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    receipt_evidence_id: Mapped[int | None] = mapped_column(Integer)
    # Renewals: the old card taken back, then destroyed by the city.
    old_certificate_number: Mapped[str | None] = mapped_column(String(22))
    old_collected: Mapped[bool] = mapped_column(Boolean, default=False)
    old_destroyed_on: Mapped[date | None] = mapped_column(Date)
    old_destroyed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    certificate: Mapped[Certificate] = relationship(back_populates="handover")
    handed_by = relationship("User", foreign_keys=[handed_by_id])

    def __repr__(self) -> str:
        return f"<Handover {self.id} certificate={self.certificate_id}>"
