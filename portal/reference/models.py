"""Reference data that configures a campaign; nothing here is hard-wired to one county."""
from datetime import date
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin

CAMPAIGN_STATUSES = ("draft", "active", "closed")
_ACTIVE = text("status = 'active'")


class Campaign(db.Model):
    """A campaign: a period with phases, targets and concentrated days. At most one is active
    (the partial unique index); the others are drafts or closed, kept with their snapshot."""

    __tablename__ = "campaigns"
    __table_args__ = (
        Index("uq_campaigns_one_active", "status", unique=True,
              sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    document_number: Mapped[str | None] = mapped_column(String(80))
    county: Mapped[str] = mapped_column(String(100), default="", server_default="")
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default="draft", server_default="draft")
    # Recorded after the fact: its dates may lie in the past.
    historical: Mapped[bool] = mapped_column(Boolean, default=False)
    copied_from_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"))
    estimated_disabled: Mapped[int] = mapped_column(Integer, default=0)
    certified_at_start: Mapped[int] = mapped_column(Integer, default=0)
    expiring_certificates: Mapped[int] = mapped_column(Integer, default=0)
    poverty_registered_disabled: Mapped[int] = mapped_column(Integer, default=0)

    phases: Mapped[list["CampaignPhase"]] = relationship(
        back_populates="campaign", order_by="CampaignPhase.position", cascade="all, delete-orphan"
    )
    targets: Mapped[list["CampaignTarget"]] = relationship(
        back_populates="campaign", order_by="CampaignTarget.deadline", cascade="all, delete-orphan"
    )

    def phase(self, code: str) -> "CampaignPhase | None":
        return next((p for p in self.phases if p.code == code), None)

    def __repr__(self) -> str:
        return f"<Campaign {self.code}>"


class CampaignPhase(db.Model):
    __tablename__ = "campaign_phases"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))  # publicity, survey, concentrated, issuance
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="", server_default="")

    campaign: Mapped[Campaign] = relationship(back_populates="phases")

    def __repr__(self) -> str:
        return f"<CampaignPhase {self.code} {self.starts_on}..{self.ends_on}>"


TARGET_KINDS = ("holding_rate", "poverty_renewal")


class CampaignTarget(db.Model):
    __tablename__ = "campaign_targets"
    # One target of each kind per deadline (a holding-rate target and the poverty renewal
    # may fall due on the same day).
    __table_args__ = (UniqueConstraint("campaign_id", "kind", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    # 'holding_rate': reach `holding_rate` by the deadline; 'poverty_renewal': every
    # poverty-registered holder of an expired certificate renewed by the deadline (its
    # `holding_rate` is the share to renew, 1.0000).
    kind: Mapped[str] = mapped_column(String(20), default="holding_rate",
                                      server_default="holding_rate")
    holding_rate: Mapped[Decimal] = mapped_column(Numeric(5, 4))  # 0.5000 = 50 %
    deadline: Mapped[date] = mapped_column(Date)

    campaign: Mapped[Campaign] = relationship(back_populates="targets")

    def __repr__(self) -> str:
        return f"<CampaignTarget {self.kind} {self.holding_rate} by {self.deadline}>"


class Township(db.Model):
    """The tenant: a township (乡镇), street office (街道) or farm committee (农场)."""

    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="township")
    position: Mapped[int] = mapped_column(Integer, default=0)

    villages: Mapped[list["Village"]] = relationship(
        back_populates="township", order_by="Village.name"
    )

    def __repr__(self) -> str:
        return f"<Township {self.code}>"


class Village(TenantMixin, db.Model):
    """A village or residents' committee (村/居委会) of a township."""

    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("township_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))

    township: Mapped[Township] = relationship(back_populates="villages")

    def __repr__(self) -> str:
        return f"<Village {self.name}>"


class Hospital(db.Model):
    """A designated assessment institution (评定机构)."""

    __tablename__ = "hospitals"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    def __repr__(self) -> str:
        return f"<Hospital {self.name}>"


concentrated_day_hospitals = Table(
    "concentrated_day_hospitals",
    db.metadata,
    Column("concentrated_day_id", ForeignKey("concentrated_days.id"), primary_key=True),
    Column("hospital_id", ForeignKey("hospitals.id"), primary_key=True),
)


DAY_STATUSES = ("planned", "held", "cancelled")


class ConcentratedDay(TenantMixin, db.Model):
    """A township's scheduled assessment day (集中办证) at designated hospitals."""

    __tablename__ = "concentrated_days"
    __table_args__ = (UniqueConstraint("township_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    day: Mapped[date] = mapped_column(Date)
    # Places per disability category (the categories of portal.rosters.models.CATEGORIES).
    capacity_vision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_hearing: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_speech: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_physical: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_intellectual: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_mental: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    capacity_multiple: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    status: Mapped[str] = mapped_column(String(20), default="planned", server_default="planned")
    note: Mapped[str] = mapped_column(Text, default="", server_default="")

    township: Mapped[Township] = relationship()
    hospitals: Mapped[list[Hospital]] = relationship(
        secondary=concentrated_day_hospitals, order_by="Hospital.name"
    )

    def capacity(self, category: str) -> int:
        """Places for one disability category on this day."""
        return getattr(self, f"capacity_{category}", 0) or 0

    def __repr__(self) -> str:
        return f"<ConcentratedDay {self.township_id} {self.day}>"
