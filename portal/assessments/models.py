"""Assessments signed by doctors, and the second doctor's review of a differing grade."""
from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
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

ASSESSMENT_METHODS = ("concentrated", "home_visit", "video", "records", "hospital", "batch")
# The seed's explicit exceptions (DESIGN.md §6), each with conditions checked on signing.
EXCEPTIONS = ("obvious_limb_loss", "stroke_over_60", "mental_hospital_records",
              "organised_batch")


class Assessment(TenantMixin, db.Model):
    """One signed assessment of a case: measurements, implied and doctor's grade, exception."""

    __tablename__ = "assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20))
    # The measured values as entered (numbers as strings), plus component grades for
    # a multiple disability.
    measurements: Mapped[dict] = mapped_column(JSON, default=dict)
    age_years: Mapped[int] = mapped_column(Integer)
    implied_grade: Mapped[int | None] = mapped_column(Integer)
    implied_reason: Mapped[str] = mapped_column(String(40), default="")
    # The doctor's decision: a grade 1-4, or None with `not_disabled_reason`.
    grade: Mapped[int | None] = mapped_column(Integer)
    not_disabled_reason: Mapped[str] = mapped_column(Text, default="")
    mismatch_reason: Mapped[str] = mapped_column(Text, default="")
    exception: Mapped[str] = mapped_column(String(30), default="")
    # Conditions of the exception: months since onset, who brought hospital records.
    exception_details: Mapped[dict] = mapped_column(JSON, default=dict)
    evidence_note: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    case: Mapped[Case] = relationship()
    doctor = relationship("User")
    reviews: Mapped[list["SecondReview"]] = relationship(
        back_populates="assessment", order_by="SecondReview.id")

    @property
    def mismatch(self) -> bool:
        return self.grade != self.implied_grade

    def __repr__(self) -> str:
        return f"<Assessment {self.id} case {self.case_id} {self.category} {self.grade}>"


class SecondReview(TenantMixin, db.Model):
    """A second certified doctor's review of an assessment whose grade differs."""

    __tablename__ = "second_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    agrees: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="reviews")
    doctor = relationship("User")

    def __repr__(self) -> str:
        return f"<SecondReview {self.assessment_id} {self.agrees}>"
