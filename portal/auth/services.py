"""Creating users and checking credentials, with a per-account slowdown after failures."""
import secrets
import string
from datetime import timedelta

from flask import current_app
from sqlalchemy import select
from zxcvbn import zxcvbn

from portal.audit.services import record_event, record_login_failure
from portal.auth.models import Membership, User
from portal.auth.passwords import (
    dummy_verify,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal.auth.roles import CITY_ROLES, TOWNSHIP_ROLES, Role
from portal.extensions import db
from portal.models_base import utcnow
from portal.reference.models import Township, Village
from portal.refusals import Refused

MIN_PASSWORD_LENGTH = 12
MIN_PASSWORD_SCORE = 3  # zxcvbn 0-4: its lists of breached and common passwords, words, names


def check_password_strength(password: str, user_inputs: tuple[str, ...] = ()) -> None:
    """Refuse passwords shorter than 12 characters or guessable: zxcvbn (which knows the
    common breached passwords, keyboard patterns and dates) must score them at least 3."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused("password_too_short")
    # zxcvbn's cost grows with the length; beyond 100 characters a password is not guessable.
    if zxcvbn(password[:100], user_inputs=[u for u in user_inputs if u])["score"] \
            < MIN_PASSWORD_SCORE:
        raise Refused("password_too_weak")


def create_user(username: str, password: str, *, display_name: str = "", actor=None,
                must_change_password: bool = False) -> User:
    """Create an account (no roles yet); with `must_change_password` (an administrator chose
    the password) the user must choose their own at first login."""
    username = username.strip()
    if not username:
        raise Refused("username_required", field="username")
    if db.session.execute(select(User.id).where(User.username == username)).first():
        raise Refused("username_taken", field="username")
    check_password_strength(password, (username, display_name))
    user = User(username=username, display_name=display_name or username,
                password_hash=hash_password(password),
                must_change_password=must_change_password)
    db.session.add(user)
    db.session.flush()
    record_event("user.create", actor=actor, obj=user)
    return user


def add_membership(
    user: User,
    role: Role,
    township: Township | None = None,
    villages: list[Village] | None = None,
    *,
    actor=None,
) -> Membership:
    """Give a user a role: township roles need a township, city roles must not have one."""
    role = Role(role)
    if role in TOWNSHIP_ROLES and township is None:
        raise Refused("township_required", field="township")
    if role in CITY_ROLES and township is not None:
        raise Refused("city_role_has_no_township", field="township")
    if role in (Role.DOCTOR, Role.GUARDIAN) and township is not None:
        raise Refused("assignment_role_has_no_township", field="township")
    villages = villages or []
    if role == Role.VILLAGE_LIAISON and not villages:
        raise Refused("villages_required", field="villages")
    if any(v.township_id != township.id for v in villages if township):
        raise Refused("village_outside_township", field="villages")
    township_id = township.id if township else None
    if any(m.role == role and m.township_id == township_id for m in user.memberships):
        raise Refused("membership_exists", field="role")
    membership = Membership(user=user, role=role.value, township=township, villages=villages)
    db.session.add(membership)
    db.session.flush()
    record_event(
        "membership.add",
        actor=actor,
        obj=membership,
        township_id=township_id,
        details={"user_id": user.id, "role": role.value},
    )
    return membership


def remove_membership(membership: Membership, *, actor=None) -> None:
    """Take a role away; an administrator cannot remove their own last city_admin role."""
    if (actor is not None and membership.user_id == actor.id
            and membership.role == Role.CITY_ADMIN.value
            and sum(m.role == Role.CITY_ADMIN.value for m in membership.user.memberships) <= 1):
        raise Refused("cannot_remove_own_admin")
    record_event(
        "membership.remove",
        actor=actor,
        obj=membership,
        township_id=membership.township_id,
        details={"user_id": membership.user_id, "role": membership.role},
    )
    db.session.delete(membership)
    db.session.flush()


def set_password(user: User, password: str, *, actor=None,
                 must_change_password: bool = False) -> None:
    """Replace the password; old sessions of the user stop working. An administrator's
    reset passes `must_change_password`: the user chooses their own at next login."""
    check_password_strength(password, (user.username, user.display_name))
    user.password_hash = hash_password(password)
    user.must_change_password = must_change_password
    user.session_version += 1
    user.failed_logins = 0
    user.locked_until = None
    db.session.flush()
    record_event("user.password", actor=actor, obj=user)


def change_own_password(user: User, current: str, new: str) -> None:
    """Self-service change: the current password proves it is the user; all sessions end
    (the view signs this one in again)."""
    if not verify_password(user.password_hash, current):
        raise Refused("wrong_current_password", field="current_password")
    if new == current:
        raise Refused("password_unchanged")
    set_password(user, new, actor=user)


def end_all_sessions(user: User) -> None:
    """Every session of the user stops working (logout, "log out everywhere")."""
    user.session_version += 1
    db.session.flush()


def set_active(user: User, active: bool, *, actor=None) -> None:
    """Switch an account on or off; switching off ends its sessions at once."""
    if not active and actor is not None and actor.id == user.id:
        raise Refused("cannot_deactivate_self")
    user.active = active
    user.session_version += 1
    db.session.flush()
    record_event("user.activate" if active else "user.deactivate", actor=actor, obj=user)


def generate_password() -> str:
    """A random password of 16 letters and digits that passes the strength rule."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(16))
        try:
            check_password_strength(password)
        except Refused:
            continue
        return password


def update_profile(user: User, display_name: str, *, actor=None) -> None:
    """Change the name shown for an account."""
    display_name = display_name.strip()
    if not display_name:
        raise Refused("display_name_required", field="display_name")
    if display_name == user.display_name:
        return
    user.display_name = display_name
    db.session.flush()
    record_event("user.update", actor=actor, obj=user, details={"fields": ["display_name"]})


def unlock_user(user: User, *, actor=None) -> None:
    """Lift the slowdown after failed logins."""
    user.locked_until = None
    user.failed_logins = 0
    db.session.flush()
    record_event("user.unlock", actor=actor, obj=user)


def _aware(moment):
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=utcnow().tzinfo)
    return moment


def is_locked(user: User) -> bool:
    """Whether failed logins make the account wait before its next attempt now."""
    return user.locked_until is not None and _aware(user.locked_until) > utcnow()


def slowdown_seconds(failures: int) -> int:
    """The wait after `failures` failures in a row: none up to LOGIN_MAX_FAILURES, then
    LOGIN_SLOWDOWN_SECONDS doubling with each further failure, up to the maximum."""
    cfg = current_app.config
    extra = failures - cfg["LOGIN_MAX_FAILURES"]
    if extra < 0:
        return 0
    return min(cfg["LOGIN_SLOWDOWN_SECONDS"] * 2 ** min(extra, 20),
               cfg["LOGIN_SLOWDOWN_MAX_SECONDS"])


def _refused_login(username: str, code: str, reason: str, **params) -> Refused:
    """The refusal of a login attempt, with its audit event (`reason`: invalid, locked or
    inactive). The view answers it with the form and status 200, so that the request's unit
    of work keeps the attempt: its audit event, the failure count and the wait."""
    record_login_failure(username, reason)
    return Refused(code, field="password", **params)


def authenticate(username: str, password: str) -> User:
    """The user for these credentials, or Refused login_invalid, login_inactive or
    login_slowed_down (with `n`, the seconds to wait); a refused attempt is audited.

    Every answer costs exactly one Argon2 verification, so that the time does not tell an
    unknown, switched-off or waiting account from a wrong password. A stranger cannot lock
    an official out: failures only make the account wait (doubling) before the next attempt
    is even checked, attempts during the wait do not count, and once the wait is over the
    right password gets in. The per-address limit (LOGIN_RATE_LIMIT) is on the view.
    """
    user = db.session.execute(
        select(User).where(User.username == username.strip())
    ).scalar_one_or_none()
    if user is None:
        dummy_verify(password)
        raise _refused_login(username, "login_invalid", "invalid")
    now = utcnow()
    if is_locked(user):
        dummy_verify(password)
        raise _refused_login(username, "login_slowed_down", "locked",
                             n=max(1, int((_aware(user.locked_until) - now).total_seconds()) + 1))
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        wait = slowdown_seconds(user.failed_logins)
        if wait:
            user.locked_until = now + timedelta(seconds=wait)
            record_event("user.locked", obj=user, details={"seconds": wait})
        raise _refused_login(username, "login_invalid", "invalid")
    if not user.active:
        raise _refused_login(username, "login_inactive", "inactive")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def back_to_password(user: User) -> None:
    """Too many wrong second-factor codes: the password is asked again, and the account waits
    as after failed passwords."""
    user.totp_failures = 0
    user.failed_logins = max(user.failed_logins, current_app.config["LOGIN_MAX_FAILURES"])
    user.locked_until = utcnow() + timedelta(seconds=slowdown_seconds(user.failed_logins))
    db.session.flush()
