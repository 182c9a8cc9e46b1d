"""People, the two township rosters, roster reports and import jobs."""
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin, utcnow
from portal.reference.models import Village

GENDERS = ("male", "female")
MOBILITY = ("can_travel", "limited", "bedridden")
LIST_KINDS = ("expired", "suspected")
ENTRY_STATUSES = ("open", "in_progress", "certified", "not_qualified", "withdrawn", "deceased")
CATEGORIES = ("vision", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
SOURCES = ("survey", "import", "liaison", "manual")



def _byte_ordered(length: int):
    """A string column compared byte by byte on PostgreSQL (index-friendly prefix search)."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Person(TenantMixin, TimestampMixin, db.Model):
    """Someone who holds, held or may need a certificate. One row per ID number nationwide."""

    __tablename__ = "persons"
    __township_index__ = False  # the indexes below start with township_id (or the village)
    __table_args__ = (
        # Listing order and the three prefix searches. The sort and search columns use the
        # byte-order "C" collation on PostgreSQL, so one plain index serves both
        # ORDER BY and LIKE 'prefix%' (DESIGN.md: lists stay fast at province scale).
        Index("ix_persons_township_pinyin", "township_id", "name_pinyin", "id"),
        # The village first, so that this one index also serves its foreign key; the
        # township next, so that a filter on both is answered by this index alone.
        Index("ix_persons_village_township_pinyin", "village_id", "township_id", "name_pinyin",
              "id"),
        Index("ix_persons_township_name", "township_id", "name", "id"),
        Index("ix_persons_township_initials", "township_id", "name_initials"),
        Index("ix_persons_township_id_reversed", "township_id", "id_reversed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by ix_persons_village_township_pinyin.
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    name: Mapped[str] = mapped_column(_byte_ordered(60))
    name_pinyin: Mapped[str] = mapped_column(_byte_ordered(200), default="")
    name_initials: Mapped[str] = mapped_column(_byte_ordered(30), default="")
    gender: Mapped[str] = mapped_column(String(10))
    ethnicity: Mapped[str] = mapped_column(String(20), default="")
    id_number: Mapped[str] = mapped_column(String(18), unique=True)
    # The ID number reversed, so "last digits" searches are indexed prefix searches.
    id_reversed: Mapped[str] = mapped_column(_byte_ordered(18))
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str] = mapped_column(String(30), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    mobility: Mapped[str] = mapped_column(String(20), default="can_travel")
    poverty_registered: Mapped[bool] = mapped_column(Boolean, default=False)
    deceased: Mapped[bool] = mapped_column(Boolean, default=False)
    # Moved out of the county (portal/transfers): closed here, counted nowhere from that day.
    left_county_on: Mapped[date | None] = mapped_column(Date)
    guardian_name: Mapped[str] = mapped_column(String(60), default="")
    guardian_phone: Mapped[str] = mapped_column(String(30), default="")
    # The certificate the person holds or held (Attachment 1).
    certificate_number: Mapped[str | None] = mapped_column(String(22))
    certificate_category: Mapped[str | None] = mapped_column(String(20))
    certificate_grade: Mapped[int | None] = mapped_column(Integer)
    certificate_expires_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    village: Mapped[Village | None] = relationship()
    roster_entries: Mapped[list["RosterEntry"]] = relationship(
        back_populates="person", order_by="RosterEntry.list_kind"
    )

    def __repr__(self) -> str:
        return f"<Person {self.id}>"


class RosterEntry(TenantMixin, TimestampMixin, db.Model):
    """A person on one of the township's two survey lists (附件1 expired, 附件2 suspected)."""

    __tablename__ = "roster_entries"
    __township_index__ = False  # ix_roster_entries_township_list starts with township_id
    __table_args__ = (
        UniqueConstraint("person_id", "list_kind"),
        Index("ix_roster_entries_township_list", "township_id", "list_kind", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed through the unique (person_id, list_kind) constraint.
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    list_kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(20), default="open")
    source: Mapped[str] = mapped_column(String(12), default="manual")
    survey_date: Mapped[date | None] = mapped_column(Date)
    suspected_category: Mapped[str | None] = mapped_column(String(20))
    medical_records: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text, default="")

    person: Mapped[Person] = relationship(back_populates="roster_entries")

    def __repr__(self) -> str:
        return f"<RosterEntry {self.list_kind} {self.person_id}>"


class Guardianship(TenantMixin, db.Model):
    """A guardian's or agent's user account linked to the person they act for."""

    __tablename__ = "guardianships"
    __table_args__ = (UniqueConstraint("user_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    relation: Mapped[str] = mapped_column(String(30), default="")
    # Ended by the township office: the guardian no longer sees the person from that moment.
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    end_reason: Mapped[str] = mapped_column(Text, default="")

    user = relationship("User", foreign_keys=[user_id])

    @property
    def active(self) -> bool:
        return self.ended_at is None


class PovertyAssignment(TenantMixin, db.Model):
    """A poverty-registered person assigned to a poverty-relief cadre or village first
    secretary (结对帮扶). A reassignment ends the row (`ended_on`) and starts a new one, so the
    person's history of cadres is kept; at most one row of a person is open."""

    __tablename__ = "poverty_assignments"
    __table_args__ = (
        Index("uq_poverty_assignments_open_person", "person_id", unique=True,
              sqlite_where=text("ended_on IS NULL"), postgresql_where=text("ended_on IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    # Empty on assignments made before their history was kept.
    started_on: Mapped[date | None] = mapped_column(Date)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    ended_on: Mapped[date | None] = mapped_column(Date)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    user = relationship("User", foreign_keys=[user_id])
    person = relationship("Person")


class RosterReport(TenantMixin, db.Model):
    """A township's lists as submitted to the city: dated, counted, never changed."""

    __tablename__ = "roster_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    expired_count: Mapped[int] = mapped_column(Integer)
    suspected_count: Mapped[int] = mapped_column(Integer)
    poverty_count: Mapped[int] = mapped_column(Integer)
    bedridden_count: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    # Rows as they stood at submission (list kind, person id and roster fields).
    snapshot: Mapped[list] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))

    submitted_by = relationship("User")


@event.listens_for(RosterReport, "before_update")
def _reports_are_immutable(mapper, connection, target):
    raise ValueError("roster reports are immutable once submitted")


class ImportJob(TenantMixin, db.Model):
    """One uploaded roster file, from preview to confirmed import."""

    __tablename__ = "import_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    list_kind: Mapped[str] = mapped_column(String(12))
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # uploaded → parsing → ready | unreadable → importing → done | failed; cancelled, expired
    status: Mapped[str] = mapped_column(String(20), default="uploaded")
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    valid_rows: Mapped[int] = mapped_column(Integer, default=0)
    new_rows: Mapped[int] = mapped_column(Integer, default=0)
    update_rows: Mapped[int] = mapped_column(Integer, default=0)
    rejected_rows: Mapped[int] = mapped_column(Integer, default=0)
    unchanged_rows: Mapped[int] = mapped_column(Integer, default=0)
    imported: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    # [row, column key, reason code, params]: no personal data, only where and why.
    rejects: Mapped[list | None] = mapped_column(JSON)
    # [row, note code]: rows skipped with a word to the user (signature and footer lines).
    notes: Mapped[list | None] = mapped_column(JSON)
    # Village names the import will add to the township (shown in the preview).
    new_villages: Mapped[list | None] = mapped_column(JSON)
    # A reason code (and its parameters) when the file could not be used or the import failed.
    error: Mapped[str] = mapped_column(Text, default="")
    error_params: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<ImportJob {self.id} {self.status}>"
