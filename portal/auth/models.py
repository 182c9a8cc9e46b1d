"""Users and their role memberships."""
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.auth.roles import CITY_ROLES, Role
from portal.extensions import db
from portal.models_base import TimestampMixin
from portal.reference.models import Township, Village

membership_villages = Table(
    "membership_villages",
    db.metadata,
    Column("membership_id", ForeignKey("memberships.id", ondelete="CASCADE"), primary_key=True),
    Column("village_id", ForeignKey("villages.id"), primary_key=True),
)


class User(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Bumped on password change, logout or deactivation: old sessions stop working.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when an administrator chose the password: the user must choose their own first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    # TOTP second factor: the secret encrypted with a key derived from SECRET_KEY (Fernet),
    # active only once one code was verified; the last accepted time step (no reuse) and the
    # SHA-256 hashes of the unused recovery codes (JSON list).
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    totp_failures: Mapped[int] = mapped_column(Integer, default=0)
    recovery_codes: Mapped[str | None] = mapped_column(Text)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Membership.id"
    )

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def roles(self) -> set[Role]:
        return {Role(m.role) for m in self.memberships}

    @property
    def city_roles(self) -> set[Role]:
        return {Role(m.role) for m in self.memberships if Role(m.role) in CITY_ROLES}

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class Membership(db.Model):
    """One role of a user, in one township (township roles) or city-wide (township_id null)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "role", "township_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(30))
    township_id: Mapped[int | None] = mapped_column(ForeignKey("townships.id"), index=True)

    user: Mapped[User] = relationship(back_populates="memberships")
    township: Mapped[Township | None] = relationship()
    villages: Mapped[list[Village]] = relationship(secondary=membership_villages)

    def __repr__(self) -> str:
        return f"<Membership {self.user_id} {self.role} {self.township_id}>"
