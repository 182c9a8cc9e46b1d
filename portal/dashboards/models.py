"""Township estimates of disabled persons and the per-township summary the dashboards read."""
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import TenantMixin, utcnow

# The note `flask seed demo` leaves on the estimates it scales to its sample of persons: the
# dashboards then say their figures are the demo's.
DEMO_NOTE = "演示数据：样本按计划基数比例缩放"


class TownshipEstimate(TenantMixin, db.Model):
    """One version of a township's estimated number of disabled persons; the latest counts."""

    __tablename__ = "township_estimates"
    __table_args__ = (Index("ix_township_estimates_township_id_desc", "township_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    estimated_disabled: Mapped[int] = mapped_column(Integer)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    set_by = relationship("User")

    def __repr__(self) -> str:
        return f"<TownshipEstimate {self.township_id} {self.estimated_disabled}>"


class DashboardRefresh(TenantMixin, db.Model):
    """When a township's dashboard figures were last computed, and whether they are stale."""

    __tablename__ = "dashboard_refreshes"

    id: Mapped[int] = mapped_column(primary_key=True)
    # One row per township (the TenantMixin column, made unique here).
    township_id: Mapped[int] = mapped_column(  # type: ignore[assignment]
        ForeignKey("townships.id"), nullable=False, unique=True
    )
    as_of: Mapped[date] = mapped_column(Date)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    stale: Mapped[bool] = mapped_column(default=False)

    def __repr__(self) -> str:
        return f"<DashboardRefresh {self.township_id} {self.as_of}>"


class DashboardFigure(TenantMixin, db.Model):
    """One counted figure of a township (or one of its villages) as of its refresh.

    `family` groups the figures computed by one grouped query: `persons` (key: persons,
    certified, expired_roster, renewed, poverty, poverty_uncertified), `cases` (key:
    state:path), `origins` (key: survey, walk_in, hospital_booking) and `overdue` (key: publicity, review, print, dispatch, handover).
    """

    __tablename__ = "dashboard_figures"
    __table_args__ = (Index("ix_dashboard_figures_township_family", "township_id", "family"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    village_id: Mapped[int | None] = mapped_column(Integer)
    family: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(60))
    value: Mapped[int] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<DashboardFigure {self.township_id} {self.family}:{self.key}={self.value}>"
