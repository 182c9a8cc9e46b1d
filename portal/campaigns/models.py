"""The closing snapshot of a campaign: its dashboard figures as they stood when it closed."""
from datetime import date, datetime

from sqlalchemy import JSON, Date, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import utcnow


class CampaignSnapshot(db.Model):
    """City-wide figures of a campaign on one day (counts only, never persons).

    `figures` holds `townships` (code, name, estimate, certified, persons, rate), `total`,
    `targets` (rate, deadline, needed, missing), `baseline_rate` and `cases` (state -> count).
    """

    __tablename__ = "campaign_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), index=True)
    taken_on: Mapped[date] = mapped_column(Date)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    taken_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(20), default="closing")
    figures: Mapped[dict] = mapped_column(JSON, default=dict)

    campaign = relationship("Campaign")

    def __repr__(self) -> str:
        return f"<CampaignSnapshot {self.campaign_id} {self.taken_on}>"
