"""Login (password, then the second factor when enrolled), logout, password change and
second-factor enrolment.

A refused login or code answers with the form and status 200 and without `show_in_form`: the
request's unit of work then commits what the refusal must leave behind (the failure count, the
wait, the audit event of the failed attempt).
"""
import segno
from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user

from portal.audit.services import record_event
from portal.auth import bp, totp
from portal.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    ConfirmForm,
    EnrolForm,
    LoginForm,
)
from portal.auth.models import User
from portal.auth.services import (
    authenticate,
    back_to_password,
    change_own_password,
    end_all_sessions,
)
from portal.auth.sessions import start_session
from portal.extensions import db, limiter
from portal.models_base import utcnow
from portal.redirects import local_path
from portal.refusals import Refused, show_in_form

PENDING = "pending_second_factor"
PENDING_SECONDS = 300  # time to type the code after the password

def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _complete_login(user: User, next_url: str | None):
    """Both factors are checked: the session becomes signed in."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    start_session(user)
    record_event("user.login", actor=user, obj=user)
    return redirect(local_path(next_url) or url_for("public.home"))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Show the login form and check the password."""
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except Refused as refusal:  # kept: the failure count, the wait, the audit event
            form.password.errors.append(refusal.message)
        else:
            next_url = request.args.get("next")
            if not user.totp_enabled:
                return _complete_login(user, next_url)
            locale = session.get("locale")
            session.clear()
            if locale:
                session["locale"] = locale
            # Half signed in: nothing but the code page knows about this state.
            session[PENDING] = {"user_id": user.id, "version": user.session_version,
                                "at": utcnow().timestamp(), "next": local_path(next_url)}
            return redirect(url_for("auth.second_factor"))
    return render_template("auth/login.html", form=form)


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if utcnow().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user_id"))
    if (user is None or not user.active or not user.totp_enabled
            or user.session_version != pending.get("version")):
        return None
    return user


@bp.route("/second-factor", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def second_factor():
    """Second login step of an enrolled user: a TOTP code or a recovery code."""
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Please log in to continue."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            kind = totp.verify_second_factor(user, form.code.data)
        except Refused as refusal:  # kept: the failure count
            if refusal.code == "totp_too_many":
                back_to_password(user)
                session.pop(PENDING, None)
                flash(refusal.message, "danger")
                return redirect(url_for("auth.login"))
            form.code.errors.append(refusal.message)
        else:
            next_url = session[PENDING].get("next")
            if kind == "recovery":
                flash(_("You used a recovery code; %(n)s remain.",
                        n=totp.remaining_recovery_codes(user)), "warning")
            return _complete_login(user, next_url)
    return render_template("auth/second_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST, so that a link cannot log someone out). The session version is bumped,
    so a copy of this session's cookie stops working too, as do the user's other sessions."""
    everywhere = request.form.get("everywhere") == "1"
    record_event("user.logout", actor=current_user, obj=current_user,
                 details={"everywhere": True} if everywhere else None)
    end_all_sessions(current_user)
    logout_user()
    session.clear()
    flash(_("You have logged out on every device.") if everywhere
          else _("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account")
@login_required
def account():
    """The user's own account: password, second factor, sessions."""
    return render_template("auth/account.html", form=ConfirmForm(),
                           totp_required=totp.requires_totp(current_user),
                           recovery_left=totp.remaining_recovery_codes(current_user))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Self-service password change (also the forced one after an administrator's reset)."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            change_own_password(current_user, form.current_password.data,
                                form.new_password.data)
        except Refused as refusal:
            show_in_form(form, refusal, default_field="new_password")
        else:
            user = current_user._get_current_object()
            # Other sessions ended with the new version; this one continues.
            start_session(user, auth_at=session.get("auth_at"))
            flash(_("Your password is changed. Your other sessions have ended."), "success")
            return redirect(url_for("public.home"))
    return render_template("auth/change_password.html", form=form,
                           forced=current_user.must_change_password)


@bp.route("/second-factor/setup", methods=["GET", "POST"])
@login_required
def totp_setup():
    """Enrol an authenticator app: QR and secret, one code verified before it is active."""
    user = current_user._get_current_object()
    if user.totp_enabled:
        return redirect(url_for("auth.account"))
    form = EnrolForm()
    if form.validate_on_submit():
        try:
            codes = totp.activate(user, form.code.data)
        except Refused as refusal:
            show_in_form(form, refusal)
            secret = totp.secret_of(user)
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    else:
        # A reload shows the same pending key (the app may have scanned it already).
        secret = totp.secret_of(user)
    if secret is None:
        secret = totp.start_enrolment(user)
    qr = segno.make(totp.provisioning_uri(user, secret), error="m").svg_data_uri(scale=5)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("auth/totp_setup.html", form=form, qr=qr, secret=grouped,
                           required=totp.requires_totp(user)), 200 if not form.errors else 400


@bp.route("/second-factor/disable", methods=["POST"])
@login_required
def totp_disable():
    """Switch the optional second factor off (not for roles that require it)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if totp.requires_totp(current_user):
        abort(403)
    totp.disable(current_user)
    flash(_("The second factor is switched off."), "info")
    return redirect(url_for("auth.account"))
