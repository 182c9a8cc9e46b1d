"""The outbox: one row per message to one person, and the numbers that asked for no messages."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin, utcnow

# pending → sending → sent; a message that cannot be sent ends failed (after its retries) or
# suppressed (the number opted out). Both of those appear on the township's call list.
NOTICE_STATES = ("pending", "sending", "sent", "failed", "suppressed")
CALL_INSTEAD_STATES = ("failed", "suppressed")


class Notice(TenantMixin, TimestampMixin, db.Model):
    """A message to a person about an event of their case or certificate."""

    __tablename__ = "notices"
    __township_index__ = False
    __table_args__ = (
        Index("ix_notices_township_state", "township_id", "state"),
        Index("ix_notices_state_due", "state", "next_attempt_at"),
        Index("ix_notices_recipient_sent", "recipient", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    medium: Mapped[str] = mapped_column(String(10), default="sms")  # sms or email
    recipient: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    # One event makes at most one message (an event noticed twice adds nothing).
    dedupe_key: Mapped[str] = mapped_column(String(160), unique=True)
    # Sent with the message to the provider: how a restarted worker asks whether it went out.
    out_id: Mapped[str] = mapped_column(String(40), unique=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    provider_ref: Mapped[str] = mapped_column(String(80), default="")
    last_error: Mapped[str] = mapped_column(String(200), default="")

    person = relationship("Person")

    def __repr__(self) -> str:
        return f"<Notice {self.id} {self.kind} {self.state}>"


class NoticeOptOut(TenantMixin, TimestampMixin, db.Model):
    """A number (or address) that asked for no messages; staff call it instead."""

    __tablename__ = "notice_opt_outs"
    __table_args__ = (UniqueConstraint("township_id", "recipient"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(120))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
