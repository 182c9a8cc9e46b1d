"""Video assessment sessions of a case and the on-screen consents to recording."""
from datetime import datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import TenantMixin, TimestampMixin, utcnow

SESSION_STATES = ("scheduled", "waiting", "live", "ended", "interrupted")
# States in which people may still connect.
ACTIVE_STATES = frozenset({"scheduled", "waiting", "live"})
CONSENT_PARTIES = ("doctor", "guardian")


class VideoSession(TenantMixin, TimestampMixin, db.Model):
    """One scheduled video assessment of a case, held in one room of one media node."""

    __tablename__ = "video_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    doctor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Opaque, random: the media service knows the room only by this id.
    room_id: Mapped[str] = mapped_column(String(64), unique=True)
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The guardian's single-use join link: only its SHA-256 is kept; the nonce lets the server
    # rebuild the link (HMAC with the secret key) and changes when a new link is issued.
    join_nonce: Mapped[str] = mapped_column(String(64))
    join_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    join_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    join_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    media_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recording_started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The media node holding the room (rooms are pinned to one node).
    media_node_url: Mapped[str] = mapped_column(String(200), default="")
    recording_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"))

    case: Mapped[Case] = relationship()
    doctor = relationship("User")
    consents: Mapped[list["VideoConsent"]] = relationship(
        back_populates="session", order_by="VideoConsent.id", cascade="all, delete-orphan"
    )

    def consent_of(self, party: str) -> "VideoConsent | None":
        return next((c for c in self.consents if c.party == party), None)

    @property
    def both_consented(self) -> bool:
        return all(self.consent_of(p) is not None for p in CONSENT_PARTIES)

    def __repr__(self) -> str:
        return f"<VideoSession {self.id} case={self.case_id} {self.state}>"


class VideoConsent(TenantMixin, db.Model):
    """One party's consent to recording, given on screen with the name they typed."""

    __tablename__ = "video_consents"
    __table_args__ = (UniqueConstraint("session_id", "party"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("video_sessions.id"), index=True)
    party: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    name_typed: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    session: Mapped[VideoSession] = relationship(back_populates="consents")

    def __repr__(self) -> str:
        return f"<VideoConsent {self.session_id} {self.party}>"


class VideoMedia(TenantMixin, db.Model):
    """What the media service measured of a recording or snapshot kept as evidence."""

    __tablename__ = "video_media"

    id: Mapped[int] = mapped_column(primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), unique=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("video_sessions.id"), index=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    video_frames: Mapped[int | None] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    has_audio: Mapped[bool | None] = mapped_column(Boolean)

    evidence = relationship("Evidence")
    session: Mapped[VideoSession] = relationship()

    def __repr__(self) -> str:
        return f"<VideoMedia evidence={self.evidence_id} frames={self.video_frames}>"
