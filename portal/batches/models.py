"""Assistance units (帮扶单位) and the organised batches they or a township take to a hospital.

A batch may span several townships (an assistance unit helps more than one): its townships are
rows of `assessment_batch_townships`, and each person on it is a row of `assessment_batch_members`
owned by the person's township, so that a township sees only its own persons of a shared batch.
"""
from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin, utcnow
from portal.reference.models import Hospital, Township

# The plan's 四（二）: mental illness without hospital records, intellectual, vision, hearing.
BATCH_CATEGORIES = ("mental", "intellectual", "vision", "hearing")
ORGANISERS = ("township", "unit")
BATCH_STATUSES = ("planned", "held", "cancelled")
# invited: on the list; attended / absent: recorded on the day; moved: absent and put on a
# later batch (the row stays as history).
MEMBER_STATUSES = ("invited", "attended", "absent", "moved")
# Members that hold one of the batch's places.
HOLDING_PLACES = ("invited", "attended", "absent")


class AssistanceUnit(TimestampMixin, db.Model):
    """A unit that helps townships (帮扶单位): kept by the city, or by one township."""

    __tablename__ = "assistance_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    contact: Mapped[str] = mapped_column(String(200), default="")
    # The township whose office keeps the entry; none when the city keeps it.
    kept_by_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    links: Mapped[list["AssistanceUnitTownship"]] = relationship(
        back_populates="unit", cascade="all, delete-orphan",
        order_by="AssistanceUnitTownship.township_id")
    kept_by: Mapped[Township | None] = relationship()

    def __repr__(self) -> str:
        return f"<AssistanceUnit {self.id}>"


class AssistanceUnitTownship(TenantMixin, db.Model):
    """A township an assistance unit helps."""

    __tablename__ = "assistance_unit_townships"
    __table_args__ = (UniqueConstraint("unit_id", "township_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("assistance_units.id", ondelete="CASCADE"),
                                         index=True)

    unit: Mapped[AssistanceUnit] = relationship(back_populates="links")
    township: Mapped[Township] = relationship()

    def __repr__(self) -> str:
        return f"<AssistanceUnitTownship {self.unit_id} {self.township_id}>"


class AssessmentBatch(TimestampMixin, db.Model):
    """A batch of persons of one category taken to a hospital on a day (分批鉴定)."""

    __tablename__ = "assessment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The township whose office made the batch; none when the city made it. (Not named
    # township_id: a batch belongs to all its townships, `links`.)
    made_in_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)
    organiser: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("assistance_units.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    held_on: Mapped[date] = mapped_column(Date, index=True)
    # The places the hospital gives the batch on that day.
    places: Mapped[int] = mapped_column(Integer)
    transport: Mapped[str] = mapped_column(Text, default="")
    companions: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    hospital: Mapped[Hospital] = relationship()
    unit: Mapped[AssistanceUnit | None] = relationship()
    links: Mapped[list["BatchTownship"]] = relationship(
        back_populates="batch", cascade="all, delete-orphan", order_by="BatchTownship.township_id")

    def __repr__(self) -> str:
        return f"<AssessmentBatch {self.id} {self.category} {self.held_on}>"


class BatchTownship(TenantMixin, db.Model):
    """A township whose persons go with the batch."""

    __tablename__ = "assessment_batch_townships"
    __table_args__ = (UniqueConstraint("batch_id", "township_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("assessment_batches.id", ondelete="CASCADE"), index=True)

    batch: Mapped[AssessmentBatch] = relationship(back_populates="links")
    township: Mapped[Township] = relationship()

    def __repr__(self) -> str:
        return f"<BatchTownship {self.batch_id} {self.township_id}>"


class BatchMember(TenantMixin, db.Model):
    """A person (their case) on a batch, with their attendance; owned by their township."""

    __tablename__ = "assessment_batch_members"
    __table_args__ = (UniqueConstraint("batch_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("assessment_batches.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="invited")
    # The case's path before it joined a batch.
    previous_path: Mapped[str] = mapped_column(String(20), default="")
    moved_to_id: Mapped[int | None] = mapped_column(ForeignKey("assessment_batches.id"))
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    added_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    batch: Mapped[AssessmentBatch] = relationship(foreign_keys=[batch_id])
    moved_to: Mapped[AssessmentBatch | None] = relationship(foreign_keys=[moved_to_id])
    case: Mapped[Case] = relationship()

    def __repr__(self) -> str:
        return f"<BatchMember {self.batch_id} {self.case_id} {self.status}>"
