"""What a cadre did for an assigned person: a contact (a visit or a call) on a day."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, utcnow

CONTACT_WAYS = ("visit", "phone")


class CadreContact(TenantMixin, db.Model):
    """A poverty-relief cadre's contact with an assigned person (帮扶干部联系记录)."""

    __tablename__ = "cadre_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    contacted_on: Mapped[date] = mapped_column(Date)
    how: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user = relationship("User")
