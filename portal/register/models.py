"""The register of certificate holders: one entry per person, their current certificate."""
from datetime import date

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin
from portal.rosters.models import Person

# Where an entry came from: the national disabled-persons database's export (全国残疾人人口
# 基础库), a township or city official by hand, or a certificate the portal handed over.
HOLDER_SOURCES = ("national_db", "manual", "handover")


class HolderEntry(TenantMixin, TimestampMixin, db.Model):
    """A person's current certificate as the register knows it.

    One entry per person: a later certificate (re-import, handover) updates it, and when it
    replaces a certificate that had already expired, that expiry is kept in
    `replaced_expires_on` (the poverty-renewal figure counts such persons as renewed).
    """

    __tablename__ = "holder_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    certificate_number: Mapped[str] = mapped_column(String(22))
    category: Mapped[str] = mapped_column(String(20))
    grade: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[date | None] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date, index=True)
    replaced_expires_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(12))
    # The portal's certificate, for an entry made by a handover.
    certificate_id: Mapped[int | None] = mapped_column(ForeignKey("certificates.id"),
                                                       index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    person: Mapped[Person] = relationship()

    def __repr__(self) -> str:
        return f"<HolderEntry {self.person_id} {self.source}>"
