"""Objections to a result on public notice (公示): who objected, how, about which case, and
what the township decided."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin

# How an objection reached the township: the notice's public page, or staff who recorded one
# received on paper, by phone or in person.
OBJECTION_CHANNELS = ("public_page", "paper", "phone", "in_person")
STAFF_CHANNELS = ("paper", "phone", "in_person")
# open: waiting to be checked (the case cannot go to the city); upheld: the case went back for
# a new assessment; dismissed: checked and not founded; superseded: another objection to the
# same case was upheld first, so the case has already gone back.
OBJECTION_STATUSES = ("open", "upheld", "dismissed", "superseded")


class Objection(TenantMixin, TimestampMixin, db.Model):
    """One objection to one case's result during its public notice."""

    __tablename__ = "objections"
    __township_index__ = False
    __table_args__ = (
        Index("ix_objections_township_status", "township_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    # The day it reached the township (the public page: the day it was sent).
    received_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    # Optional: how to reach the person who objected (shown only to those who handle it).
    contact: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Staff who recorded it (none for the public page).
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # An optional attachment in the evidence store (server-made key; type from the content).
    attachment_key: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment_size: Mapped[int | None] = mapped_column(Integer)
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), default="open", server_default="open")
    outcome_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    case = relationship("Case")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    def __repr__(self) -> str:
        return f"<Objection {self.id} case={self.case_id} {self.status}>"
