"""Column helpers shared by the area models."""
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class TenantMixin:
    """A row owned by one township: the column every scoping filter uses.

    A model whose composite indexes already start with township_id sets
    `__township_index__ = False` to skip the single-column index (less to write on import).
    """

    __township_index__ = True

    @declared_attr
    def township_id(cls) -> Mapped[int]:
        return mapped_column(Integer, ForeignKey("townships.id"), nullable=False,
                             index=cls.__township_index__)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
