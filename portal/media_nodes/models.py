"""One row per media node the portal knows (not tenant data: nodes serve every township)."""
from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from portal.extensions import db
from portal.models_base import TimestampMixin

# "config": named in MEDIA_NODES / MEDIA_SERVICE_URL, checked by the portal's polls;
# "heartbeat": registered by its own heartbeats, out of the pool when they stop.
NODE_SOURCES = ("config", "heartbeat")


class MediaNode(TimestampMixin, db.Model):
    """A media node: its address, how it is known, whether it takes new sessions."""

    __tablename__ = "media_nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(String(10), default="config")
    # Drained: no new session is placed here; the sessions running on it finish.
    drained: Mapped[bool] = mapped_column(Boolean, default=False)
    # Rooms the node last reported (heartbeat or health check).
    rooms: Mapped[int] = mapped_column(Integer, default=0)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Set when the node failed a check or stopped its heartbeats; cleared when it is back.
    down_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str] = mapped_column(String(200), default="")

    def __repr__(self) -> str:
        return f"<MediaNode {self.name} {self.url}{' drained' if self.drained else ''}>"
