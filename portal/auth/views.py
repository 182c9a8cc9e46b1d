"""Login and logout."""
from flask import (
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.audit.services import record_event, record_login_failure
from portal.auth import bp
from portal.auth.forms import LoginForm
from portal.auth.services import AuthError, authenticate
from portal.extensions import db, limiter
from portal.redirects import local_path


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    """Show the login form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = authenticate(form.username.data, form.password.data)
        except AuthError as exc:
            record_login_failure(form.username.data, exc.code)
            db.session.commit()  # keep the failure count
            messages = {
                "invalid": _("Wrong username or password."),
                "locked": _("Too many failed attempts. The account is locked for a while; "
                            "try again later or ask the city office."),
                "inactive": _("This account has been switched off. Ask the city office."),
            }
            form.password.errors.append(messages[exc.code])
        else:
            session.clear()
            login_user(user)
            db.session.commit()
            return redirect(local_path(request.args.get("next")) or url_for("public.home"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Sign out (POST, so that a link cannot log someone out)."""
    record_event("user.logout", actor=current_user, obj=current_user)
    db.session.commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
