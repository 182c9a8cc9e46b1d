"""A certificate's life after handover: requests to change the holder's details, to replace a
lost or damaged card, and to cancel the certificate, with their documents and timeline."""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin, utcnow
from portal.rosters.models import Person

REQUEST_KINDS = ("change", "replacement", "cancellation")
# draft: registered by the township, documents being added; submitted: checked by the
# township and sent to the city; new_card: approved, a new card is on its way to the holder;
# completed: in effect; rejected: refused by the city; withdrawn: given up before the city
# decided.
REQUEST_STATES = ("draft", "submitted", "new_card", "completed", "rejected", "withdrawn")
OPEN_REQUEST_STATES = ("draft", "submitted", "new_card")
REPLACEMENT_REASONS = ("lost", "damaged")
# Why a certificate is cancelled. `reassessed`: a category or grade change ended in a new
# certificate (recorded by the handover of the new one, never chosen on a form).
CANCELLATION_REASONS = ("death", "own_request", "not_qualifying", "fraud", "reassessed")
DEATH_SOURCES = ("family_report", "civil_affairs_list")


class CertificateRequest(TenantMixin, TimestampMixin, db.Model):
    """One request about a holder's certificate: change, replacement or cancellation.

    The certificate it concerns is copied when the request is registered (number, category,
    grade, dates, the portal's card if the portal printed it), so that the request keeps
    saying what was changed, replaced or cancelled after the register moves on.
    """

    __tablename__ = "certificate_requests"
    __township_index__ = False  # ix_certificate_requests_township_state starts with it
    __table_args__ = (
        Index("ix_certificate_requests_township_state", "township_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="draft")
    reason: Mapped[str] = mapped_column(String(30), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    # The certificate as it stood when the request was registered.
    certificate_number: Mapped[str | None] = mapped_column(String(22))
    category: Mapped[str | None] = mapped_column(String(20))
    grade: Mapped[int | None] = mapped_column(Integer)
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date)
    holding_source: Mapped[str] = mapped_column(String(12), default="")
    old_certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    # Change: {field: {"old": ..., "new": ...}}; a new photo is a document of kind "photo".
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    reprint: Mapped[bool] = mapped_column(Boolean, default=False)
    # Replacement: the damaged card handed back; the day the old card was recorded as void.
    damaged_card_returned: Mapped[bool] = mapped_column(Boolean, default=False)
    old_card_void_on: Mapped[date | None] = mapped_column(Date)
    # A new card (change with printed data, replacement): its case and certificate, and
    # which card of the certificate it is (the first card is 1).
    reissue_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    new_certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"))
    card_serial: Mapped[int | None] = mapped_column(Integer)
    # Cancellation.
    death_source: Mapped[str | None] = mapped_column(String(20))
    died_on: Mapped[date | None] = mapped_column(Date)
    decision_document: Mapped[str] = mapped_column(String(100), default="")
    assessment_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    effective_on: Mapped[date | None] = mapped_column(Date)
    reapply_from: Mapped[date | None] = mapped_column(Date)
    # The old card taken back (cancellation, change): None until the township says.
    card_collected: Mapped[bool | None] = mapped_column(Boolean)
    card_collected_on: Mapped[date | None] = mapped_column(Date)
    # Who did what.
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship()
    created_by = relationship("User", foreign_keys=[created_by_id])
    checked_by = relationship("User", foreign_keys=[checked_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    old_certificate = relationship("Certificate", foreign_keys=[old_certificate_id])
    new_certificate = relationship("Certificate", foreign_keys=[new_certificate_id])
    reissue_case = relationship("Case", foreign_keys=[reissue_case_id])
    assessment_case = relationship("Case", foreign_keys=[assessment_case_id])
    documents: Mapped[list["RequestDocument"]] = relationship(
        back_populates="request", order_by="RequestDocument.id")
    events: Mapped[list["RequestEvent"]] = relationship(
        back_populates="request", order_by="RequestEvent.id")

    @property
    def open(self) -> bool:
        return self.state in OPEN_REQUEST_STATES

    def __repr__(self) -> str:
        return f"<CertificateRequest {self.id} {self.kind} {self.state}>"


class RequestDocument(TenantMixin, db.Model):
    """A document of a request (written request, loss declaration, proof of death, new photo),
    one object in the evidence store under a key made by the server."""

    __tablename__ = "certificate_request_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("certificate_requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    request: Mapped[CertificateRequest] = relationship(back_populates="documents")
    uploaded_by = relationship("User")

    def __repr__(self) -> str:
        return f"<RequestDocument {self.id} request={self.request_id} {self.kind}>"


class RequestEvent(TenantMixin, db.Model):
    """One step of a request's timeline: what was done, by whom, when, with a note."""

    __tablename__ = "certificate_request_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("certificate_requests.id"), index=True)
    action: Mapped[str] = mapped_column(String(40))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[CertificateRequest] = relationship(back_populates="events")
    actor = relationship("User")

    def __repr__(self) -> str:
        return f"<RequestEvent {self.request_id} {self.action}>"
