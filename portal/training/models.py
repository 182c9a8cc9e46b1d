"""Training of assessment doctors (评残医师培训) and what the doctor pool is counted from."""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TimestampMixin, utcnow


class TrainingSession(TimestampMixin, db.Model):
    """A training session held by the health bureau: when, where, by whom, which categories.

    City-wide (doctors are not township members). Its attendees are doctor accounts; each
    attendee passes or fails each category the session covered.
    """

    __tablename__ = "training_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(Date, index=True)
    place: Mapped[str] = mapped_column(String(200))
    trainer: Mapped[str] = mapped_column(String(100))
    # Category codes (portal.domain.grading.CATEGORIES) the session trained and tested.
    categories: Mapped[list] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="", server_default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    attendees: Mapped[list["TrainingAttendee"]] = relationship(
        back_populates="session", cascade="all, delete-orphan",
        order_by="TrainingAttendee.id")

    def __repr__(self) -> str:
        return f"<TrainingSession {self.held_on} {self.place}>"


class TrainingAttendee(db.Model):
    """A doctor account that attended a session."""

    __tablename__ = "training_attendees"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)

    session: Mapped[TrainingSession] = relationship(back_populates="attendees")
    user = relationship("User")
    results: Mapped[list["TrainingResult"]] = relationship(
        back_populates="attendee", cascade="all, delete-orphan",
        order_by="TrainingResult.category")

    def result(self, category: str) -> "TrainingResult | None":
        """The recorded result for `category`, or None while it is not recorded."""
        return next((r for r in self.results if r.category == category), None)

    def __repr__(self) -> str:
        return f"<TrainingAttendee {self.session_id} {self.user_id}>"


class TrainingResult(db.Model):
    """Passed or failed, for one attendee and one category of the session."""

    __tablename__ = "training_results"
    __table_args__ = (UniqueConstraint("attendee_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(
        ForeignKey("training_attendees.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    passed: Mapped[bool] = mapped_column(Boolean)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    attendee: Mapped[TrainingAttendee] = relationship(back_populates="results")

    def __repr__(self) -> str:
        return f"<TrainingResult {self.attendee_id} {self.category} {self.passed}>"


class PriorQualification(db.Model):
    """A category a doctor was certified for before a passed training was required.

    Written once, by the migration that introduced training, from every certification then on
    record: a renewal of that category needs no training record; adding a category does.
    """

    __tablename__ = "training_prior_qualifications"
    __table_args__ = (UniqueConstraint("user_id", "category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    category: Mapped[str] = mapped_column(String(20))
    certification_number: Mapped[str] = mapped_column(String(40))
    recorded_on: Mapped[date] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"<PriorQualification {self.user_id} {self.category}>"


class CertificationVersion(db.Model):
    """A doctor's certification as it was until `replaced_on`, kept when it is edited.

    The registry keeps one row per doctor and renews it in place; the pool's figure "a year
    ago" reads what was on record then from these versions (the current row is the newest).
    """

    __tablename__ = "doctor_certification_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    number: Mapped[str] = mapped_column(String(40))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    categories: Mapped[list] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean)
    # The day the next version took its place: this one was in effect until the day before.
    replaced_on: Mapped[date] = mapped_column(Date, index=True)

    def covers(self, category: str, day: date) -> bool:
        """Was certified for `category` on `day` (as this version said)."""
        return (self.active and self.valid_from <= day <= self.valid_until
                and category in (self.categories or []))

    def __repr__(self) -> str:
        return f"<CertificationVersion {self.user_id} until {self.replaced_on}>"
