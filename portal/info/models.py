"""The public information page's text, one row per saved version (the newest is shown)."""
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.extensions import db
from portal.models_base import utcnow


class InfoPage(db.Model):
    """One saved version of /info: the county's words, in Markdown and as sanitised HTML."""

    __tablename__ = "info_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    # One or two sentences: under the title, and what a link shared in a chat shows.
    summary: Mapped[str] = mapped_column(String(300))
    hotline: Mapped[str] = mapped_column(String(60))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Rendered and sanitised once, when saved (portal.info.services.render_markdown).
    body_html: Mapped[str] = mapped_column(Text)
    edited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    edited_by = relationship("User")

    def __repr__(self) -> str:
        return f"<InfoPage {self.id} {self.title!r}>"
