"""Supervision notices (督办单) and accountability records (问责记录)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TimestampMixin

# Who a notice goes to: a township's office, or a city-level unit the health coordinator
# answers for.
UNITS = ("township", "health_bureau", "hospital")
HEALTH_UNITS = ("health_bureau", "hospital")
# open → answered → closed; open past its due date → escalated (still to be answered).
STATES = ("open", "escalated", "answered", "closed")


class SupervisionNotice(TimestampMixin, db.Model):
    """A supervision notice: the overdue items, the action required, the date it is due."""

    __tablename__ = "supervision_notices"
    __table_args__ = (Index("ix_supervision_notices_state_due", "state", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(30), unique=True)  # 督办〔2026〕12号
    unit: Mapped[str] = mapped_column(String(20), default="township")
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    unit_name: Mapped[str] = mapped_column(String(100), default="")
    source: Mapped[str] = mapped_column(String(30))
    items: Mapped[list] = mapped_column(JSON, default=list)
    required_action: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(12), default="open")
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_on: Mapped[date] = mapped_column(Date)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_on: Mapped[date | None] = mapped_column(Date)
    escalated_on: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)

    township = relationship("Township")

    @property
    def target_name(self) -> str:
        return self.township.name if self.township is not None else self.unit_name

    def overdue(self, today: date) -> bool:
        return self.state in ("open", "escalated") and self.due_on < today


class AccountabilityRecord(TimestampMixin, db.Model):
    """A finding and the measure taken against a unit or a person: kept permanently."""

    __tablename__ = "accountability_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("supervision_notices.id"),
                                                  index=True)
    unit_name: Mapped[str] = mapped_column(String(100))
    person_name: Mapped[str] = mapped_column(String(60), default="")
    finding: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    document_number: Mapped[str] = mapped_column(String(60))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    township = relationship("Township")
    notice = relationship("SupervisionNotice")

