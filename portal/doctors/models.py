"""Certifications of the doctors who may assess and sign (评残医生资格)."""
from datetime import date

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TimestampMixin
from portal.reference.models import Hospital


class DoctorCertification(TimestampMixin, db.Model):
    """A doctor's certification: number, hospital, categories they may assess, validity.

    City-wide (doctors are not township members); one certification per doctor account,
    renewed by editing its dates.
    """

    __tablename__ = "doctor_certifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True, index=True
    )
    number: Mapped[str] = mapped_column(String(40), unique=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    # Category codes (portal.domain.grading.CATEGORIES) the doctor may assess.
    categories: Mapped[list] = mapped_column(JSON, default=list)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    user = relationship("User")
    hospital: Mapped[Hospital] = relationship()

    def valid_on(self, day: date) -> bool:
        """Active and within its validity dates (both inclusive) on `day`."""
        return self.active and self.valid_from <= day <= self.valid_until

    def covers(self, category: str, day: date) -> bool:
        """May sign an assessment of `category` on `day`."""
        return self.valid_on(day) and category in (self.categories or [])

    def __repr__(self) -> str:
        return f"<DoctorCertification {self.number}>"
