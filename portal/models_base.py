"""Column helpers shared by the area models."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class TenantMixin:
    """A row owned by one township: the column every scoping filter uses."""

    @declared_attr
    def township_id(cls) -> Mapped[int]:  # noqa: N805
        return mapped_column(Integer, ForeignKey("townships.id"), nullable=False, index=True)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
