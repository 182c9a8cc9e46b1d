"""Cases: one application of one person, from registration to the certificate in hand."""
from datetime import date, datetime

from sqlalchemy import (
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
from portal.models_base import TenantMixin, TimestampMixin, utcnow
from portal.rosters.models import Person, RosterEntry

CASE_KINDS = ("issue", "renewal", "change", "replacement", "cancellation", "transfer")
# "batch": an organised batch taken to a hospital (portal/batches, the plan's 分批鉴定).
ASSESSMENT_PATHS = ("concentrated", "home_visit", "video", "records", "hospital", "batch")
# How a case came about: from a roster entry found by the survey, a walk-in application at the
# township, or an assessment booked directly at a designated hospital (year-round issuance).
CASE_ORIGINS = ("survey", "walk_in", "hospital_booking")
# Origins of the cases that came on their own, not found by a campaign survey.
OWN_ORIGINS = ("walk_in", "hospital_booking")
CASE_STATES = (
    "registered",
    "scheduled",
    "assessed",
    "second_review",
    "not_qualified",
    "publicity",
    "under_review",
    "approved",
    "printed",
    "dispatched",
    "issued",
    "withdrawn",
    "deceased",
    "closed",
    "appealed",  # not qualified, then appealed: the re-assessment is a new city-level case
)
# States in which a case has ended: no transition leaves them. "appealed" is one: the appeal's
# re-assessment is a new case, registered once the appealed one has left "not_qualified".
CLOSED_STATES = ("issued", "withdrawn", "deceased", "closed", "appealed")
# States in which the case still needs work (dashboards, overdue lists).
OPEN_STATES = frozenset(CASE_STATES) - set(CLOSED_STATES)
# At most one open case per person, kept by the database (a partial unique index): the same
# condition on both databases, written as "not closed" so that a state added later is open.
OPEN_CASE_CONDITION = text(
    "state NOT IN (" + ", ".join(f"'{state}'" for state in CLOSED_STATES) + ")")


class Case(TenantMixin, TimestampMixin, db.Model):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_township_state", "township_id", "state"),
        Index("ix_cases_doctor_state", "doctor_id", "state"),
        Index("uq_cases_open_person", "person_id", unique=True,
              sqlite_where=OPEN_CASE_CONDITION, postgresql_where=OPEN_CASE_CONDITION),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    roster_entry_id: Mapped[int | None] = mapped_column(ForeignKey("roster_entries.id"))
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="registered")
    requested_category: Mapped[str | None] = mapped_column(String(20))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # The assessing doctor, and the second doctor when the grade differs from the measured one.
    doctor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    second_doctor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    concentrated_day_id: Mapped[int | None] = mapped_column(ForeignKey("concentrated_days.id"))
    # An appeal's re-assessment points at the case it re-examines.
    appeal_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    city_level: Mapped[bool] = mapped_column(Boolean, default=False)
    # Where the case came from (CASE_ORIGINS), and the campaign running on the day it was opened
    # (none outside every campaign's period).
    origin: Mapped[str] = mapped_column(String(20), default="survey", server_default="survey")
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # A hospital booking: the designated hospital and the day of the in-person assessment.
    hospital_id: Mapped[int | None] = mapped_column(ForeignKey("hospitals.id"))
    booked_on: Mapped[date | None] = mapped_column(Date)
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    # Outcome (filled by the assessment; approved by the city).
    category: Mapped[str | None] = mapped_column(String(20))
    grade: Mapped[int | None] = mapped_column(Integer)
    not_disabled_reason: Mapped[str] = mapped_column(Text, default="")
    # Deadlines, counted in working days (portal.domain.workdays).
    publicity_starts_on: Mapped[date | None] = mapped_column(Date)
    publicity_ends_on: Mapped[date | None] = mapped_column(Date)
    review_due_on: Mapped[date | None] = mapped_column(Date)
    appeal_due_on: Mapped[date | None] = mapped_column(Date)
    notified_on: Mapped[date | None] = mapped_column(Date)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    certificate_number: Mapped[str | None] = mapped_column(String(22))
    notes: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship()
    roster_entry: Mapped[RosterEntry | None] = relationship()
    hospital = relationship("Hospital")
    campaign = relationship("Campaign")
    events: Mapped[list["CaseEvent"]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Case {self.id} {self.kind} {self.state}>"


class CaseEvent(TenantMixin, db.Model):
    """One step of a case's timeline (the transition, who, when, a note)."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    # A step done on paper before it was entered: the day it really happened and why it is
    # entered late (`occurred_at` and `actor` say when and by whom it was entered).
    happened_on: Mapped[date | None] = mapped_column(Date)
    late_reason: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship(back_populates="events")
    actor = relationship("User")

    @property
    def entered_late(self) -> bool:
        return self.late_reason is not None

    def __repr__(self) -> str:
        return f"<CaseEvent {self.case_id} {self.action}>"
