"""Start page that leads each role to its workspace; language switch; health check."""
from flask import current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select, text

from portal.auth.roles import CITY_ROLES, Role
from portal.extensions import db
from portal.public import bp
from portal.redirects import local_path
from portal.reference.models import Township
from portal.rosters.models import Guardianship, PovertyAssignment


def workspace_townships(user) -> list[Township]:
    """Townships where the user has a role, by membership or by assignment."""
    ids = {m.township_id for m in user.memberships if m.township_id}
    roles = user.roles
    if Role.GUARDIAN in roles:
        ids |= set(db.session.scalars(
            select(Guardianship.township_id).where(Guardianship.user_id == user.id,
                                                   Guardianship.ended_at.is_(None))
        ))
    if Role.POVERTY_CADRE in roles:
        ids |= set(db.session.scalars(
            select(PovertyAssignment.township_id).where(PovertyAssignment.user_id == user.id)
        ))
    if not ids:
        return []
    return list(db.session.scalars(
        select(Township).where(Township.id.in_(ids)).order_by(Township.position)
    ))


@bp.route("/")
@login_required
def home():
    """Send each user to where their work is."""
    if current_user.roles & CITY_ROLES:
        return redirect(url_for("city.index"))
    if current_user.roles == {Role.GUARDIAN}:
        return redirect(url_for("guardian.home"))
    townships = workspace_townships(current_user)
    if len(townships) == 1:
        return redirect(url_for("rosters.list_persons", township_code=townships[0].code))
    return render_template("public/home.html", townships=townships)


@bp.route("/language", methods=["POST"])
def set_language():
    """Switch between Chinese and English for this browser session."""
    form = FlaskForm()
    if form.validate_on_submit():
        wanted = request.form.get("locale", "")
        if wanted in current_app.config["LANGUAGES"]:
            session["locale"] = wanted
    return redirect(local_path(request.form.get("next")) or url_for("public.home"))


@bp.route("/healthz")
def healthz():
    """Liveness for the process supervisor: the database answers."""
    db.session.execute(text("SELECT 1"))
    return {"status": "ok"}
