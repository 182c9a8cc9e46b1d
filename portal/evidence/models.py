"""Evidence rows: one object in the evidence store, attached to a case."""
from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import TenantMixin, utcnow

EVIDENCE_KINDS = ("photo", "video", "medical_record", "statement", "recording", "snapshot",
                  "signed_form")


class Evidence(TenantMixin, db.Model):
    __tablename__ = "evidence"
    __table_args__ = (Index("ix_evidence_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    # Made by the server (townships/<tid>/cases/<cid>/<uuid>); never from a file name.
    object_key: Mapped[str] = mapped_column(String(200), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    # The uploader's file name, kept as data only (shown, offered on download).
    original_filename: Mapped[str] = mapped_column(String(255), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Evidence is never deleted by staff: it is superseded, with a reason.
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    superseded_reason: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship()
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    superseded_by = relationship("User", foreign_keys=[superseded_by_id])

    @property
    def superseded(self) -> bool:
        return self.superseded_at is not None


    def __repr__(self) -> str:
        return f"<Evidence {self.id} case={self.case_id} {self.kind} {self.content_type}>"
