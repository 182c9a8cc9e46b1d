"""Places on concentrated assessment days and home-visit bookings."""
from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin, utcnow
from portal.reference.models import ConcentratedDay

ATTENDANCE = ("expected", "attended", "no_show")
VISIT_STATUSES = ("booked", "done", "cancelled")
VISIT_OUTCOMES = ("assessed", "not_at_home", "refused", "moved_to_video")


class DayAssignment(TenantMixin, db.Model):
    """A case's place on a concentrated day, with its attendance.

    The case's current day is `Case.concentrated_day_id`; rows of earlier days stay as history
    (a no-show moved to another day keeps its no-show on the first one).
    """

    __tablename__ = "day_assignments"
    __table_args__ = (UniqueConstraint("day_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    day_id: Mapped[int] = mapped_column(ForeignKey("concentrated_days.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    attendance: Mapped[str] = mapped_column(String(20), default="expected")
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    day: Mapped[ConcentratedDay] = relationship()
    case: Mapped[Case] = relationship()

    def __repr__(self) -> str:
        return f"<DayAssignment {self.day_id} {self.case_id} {self.attendance}>"


class HomeVisit(TenantMixin, TimestampMixin, db.Model):
    """A visit of a team (doctors and township staff) to an applicant who cannot travel."""

    __tablename__ = "home_visits"
    __table_args__ = (Index("ix_home_visits_township_date", "township_id", "visit_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    visit_date: Mapped[date] = mapped_column(Date, index=True)
    starts_at: Mapped[time] = mapped_column(Time)
    ends_at: Mapped[time] = mapped_column(Time)
    address: Mapped[str] = mapped_column(String(200), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="booked")
    outcome: Mapped[str | None] = mapped_column(String(20))
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    outcome_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    case: Mapped[Case] = relationship()
    members: Mapped[list["HomeVisitMember"]] = relationship(
        back_populates="visit", cascade="all, delete-orphan", order_by="HomeVisitMember.id"
    )

    @property
    def doctors(self) -> list:
        return [m.user for m in self.members if m.is_doctor]

    @property
    def staff(self) -> list:
        return [m.user for m in self.members if not m.is_doctor]

    def __repr__(self) -> str:
        return f"<HomeVisit {self.id} {self.visit_date} {self.status}>"


class HomeVisitMember(TenantMixin, db.Model):
    """One member of a visit's team: a doctor or a township staff member."""

    __tablename__ = "home_visit_members"
    __table_args__ = (UniqueConstraint("visit_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("home_visits.id", ondelete="CASCADE"),
                                          index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    is_doctor: Mapped[bool] = mapped_column(Boolean, default=False)

    visit: Mapped[HomeVisit] = relationship(back_populates="members")
    user = relationship("User")

    def __repr__(self) -> str:
        return f"<HomeVisitMember {self.visit_id} {self.user_id}>"
