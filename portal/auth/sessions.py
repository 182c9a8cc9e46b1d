"""Session lifetime and the steps a signed-in user must finish before anything else.

Sessions are versioned (User.session_version in the Flask-Login id, checked by the user
loader): logout, a password change and an administrator switching the account off end every
session of the user. Each session also ends after SESSION_IDLE_MINUTES without a request and
SESSION_MAX_HOURS after login (timestamps in the signed session, wall-clock UTC).
"""
from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.models_base import utcnow

# Pages open to a user who still has to change the password or enrol the second factor.
_ALWAYS_OPEN = {"static", "auth.logout", "public.set_language"}
_OPEN_BEFORE_PASSWORD = _ALWAYS_OPEN | {"auth.change_password"}
_OPEN_BEFORE_TOTP = _ALWAYS_OPEN | {"auth.totp_setup"}


def start_session(user, *, auth_at: float | None = None) -> None:
    """Sign `user` in on this session; `auth_at` keeps the original login time (a session
    renewed after a password change does not extend its absolute lifetime)."""
    login_user(user)
    now = utcnow().timestamp()
    session["auth_at"] = auth_at if auth_at is not None else now
    session["seen_at"] = now


def _expired(now: float) -> bool:
    cfg = current_app.config
    auth_at, seen_at = session.get("auth_at"), session.get("seen_at")
    if not isinstance(auth_at, int | float) or not isinstance(seen_at, int | float):
        return True
    return (now - seen_at > cfg["SESSION_IDLE_MINUTES"] * 60
            or now - auth_at > cfg["SESSION_MAX_HOURS"] * 3600)


def register(app: Flask) -> None:
    @app.before_request
    def _session_rules():
        if request.endpoint == "static" or not current_user.is_authenticated:
            return None
        now = utcnow().timestamp()
        if _expired(now):
            locale = session.get("locale")
            logout_user()
            session.clear()
            if locale:
                session["locale"] = locale
            flash(_("Your session has ended. Please log in again."), "info")
            return redirect(url_for("auth.login"))
        session["seen_at"] = now
        from portal.auth.totp import requires_totp

        if current_user.must_change_password:
            if request.endpoint not in _OPEN_BEFORE_PASSWORD:
                return redirect(url_for("auth.change_password"))
        elif (request.endpoint not in _OPEN_BEFORE_TOTP and not current_user.totp_enabled
              and requires_totp(current_user)):
            return redirect(url_for("auth.totp_setup"))
        return None
