"""A person's transfer between two townships of the county, or their move out of it."""
from datetime import date

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin
from portal.reference.models import Township

# within_county: the sending township requests, the receiving one accepts or declines.
# out_of_county: the sending township records the move; the person is closed here.
TRANSFER_KINDS = ("within_county", "out_of_county")
# requested → accepted | declined | withdrawn (by the sender); out_of_county → left_county.
TRANSFER_STATES = ("requested", "accepted", "declined", "withdrawn", "left_county")
# At most one pending request per person, kept by the database (both engines).
PENDING_CONDITION = text("state = 'requested'")


class Transfer(TenantMixin, TimestampMixin, db.Model):
    """One move of a person: `township_id` is the sending township, `to_township_id` the
    receiving one (none for a move out of the county).

    The receiving township sees the request before it accepts, and sees only what is copied
    here at the request (name, masked ID number, gender, birth year, certificate category,
    grade and expiry, poverty registration, mobility, the new address and the reason): the
    person's own row is not theirs until the acceptance moves it. After the acceptance the
    sending township keeps this record and nothing else of the person.
    """

    __tablename__ = "transfers"
    __table_args__ = (
        Index("ix_transfers_to_township_state", "to_township_id", "state"),
        Index("uq_transfers_pending_person", "person_id", unique=True,
              sqlite_where=PENDING_CONDITION, postgresql_where=PENDING_CONDITION),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="requested")
    to_township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"))
    # Out of the county: where the person went (free text: province, city, county).
    destination: Mapped[str] = mapped_column(String(200), default="")
    new_address: Mapped[str] = mapped_column(String(200), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_on: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # What the receiving township needs before it accepts, copied at the request.
    person_name: Mapped[str] = mapped_column(String(60))
    id_masked: Mapped[str] = mapped_column(String(18))
    gender: Mapped[str] = mapped_column(String(10))
    birth_year: Mapped[int] = mapped_column(Integer)
    certificate_category: Mapped[str | None] = mapped_column(String(20))
    certificate_grade: Mapped[int | None] = mapped_column(Integer)
    certificate_expires_on: Mapped[date | None] = mapped_column(Date)
    poverty_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    mobility: Mapped[str] = mapped_column(String(20), default="can_travel")
    # The decision: the day it counts from (acceptance moves the person on that day).
    decided_on: Mapped[date | None] = mapped_column(Date)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    to_village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    # Rows moved to the receiving township, per table (counts only).
    moved: Mapped[dict | None] = mapped_column(JSON)

    from_township: Mapped[Township] = relationship(foreign_keys="Transfer.township_id")
    to_township: Mapped[Township | None] = relationship(foreign_keys=[to_township_id])
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def pending(self) -> bool:
        return self.state == "requested"

    def __repr__(self) -> str:
        return f"<Transfer {self.id} {self.kind} {self.state}>"
