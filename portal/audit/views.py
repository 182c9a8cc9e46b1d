"""The audit log, for the city administrator and supervisors."""
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal.audit.chain import verify_day
from portal.audit.forms import AuditFilterForm
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.pages import link_args, paginate
from portal.reference.models import Township
from portal.tenancy import city_blueprint, require, scoped

bp = city_blueprint("audit", __name__, "/audit")

PER_PAGE = 50

ACTION_LABELS = {
    "user.login": _l("Logged in"),
    "user.logout": _l("Logged out"),
    "user.locked": _l("Logins slowed down after failed attempts"),
    "user.create": _l("Account created"),
    "user.update": _l("Account changed"),
    "user.password": _l("Password changed"),
    "user.activate": _l("Account switched on"),
    "user.deactivate": _l("Account switched off"),
    "user.unlock": _l("Account unlocked"),
    "user.totp_enable": _l("Second factor switched on"),
    "user.totp_disable": _l("Second factor switched off"),
    "user.recovery_code": _l("Recovery code used"),
    "membership.add": _l("Role given"),
    "membership.remove": _l("Role removed"),
    "demo.seed": _l("Demo data loaded"),
    "auth.login_failed": _l("Login refused"),
    "access.refused": _l("Access refused (403)"),
}

BREAK_LABELS = {
    "content_changed": _l("a row's content was changed"),
    "row_missing": _l("a row is missing"),
    "row_inserted": _l("a row was inserted"),
    "link_mismatch": _l("a row was deleted or replaced"),
}


def _start_of(day, zone: ZoneInfo) -> datetime:
    """Midnight of `day` in the portal's time zone, as the UTC instant stored in the table."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(ZoneInfo("UTC"))


@bp.route("/")
@login_required
@require(Permission.VIEW_AUDIT)
def list_events():
    """Audit events, newest first, filtered by action, township, user and dates."""
    townships = list(db.session.scalars(select(Township).order_by(Township.position)))
    form = AuditFilterForm(townships, formdata=request.args)
    valid = form.validate()
    actor = aliased(User)
    stmt = (
        scoped(select(AuditEvent, actor.username, Township.name))
        .outerjoin(actor, actor.id == AuditEvent.actor_id)
        .outerjoin(Township, Township.id == AuditEvent.township_id)
    )
    if valid:
        zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
        if form.action.data:
            stmt = stmt.where(AuditEvent.action.startswith(form.action.data.strip(),
                                                           autoescape=True))
        if form.township.data == "-":
            stmt = stmt.where(AuditEvent.township_id.is_(None))
        elif form.township.data:
            stmt = stmt.where(Township.code == form.township.data)
        if form.actor.data:
            stmt = stmt.where(func.lower(actor.username) == form.actor.data.strip().lower())
        if form.date_from.data:
            stmt = stmt.where(AuditEvent.occurred_at >= _start_of(form.date_from.data, zone))
        if form.date_to.data:
            stmt = stmt.where(AuditEvent.occurred_at
                              < _start_of(form.date_to.data + timedelta(days=1), zone))
    page = paginate(stmt.order_by(AuditEvent.id.desc()), PER_PAGE, rows=True)
    chain = verify_day(db.session, local_today(),
                       ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return render_template("audit/events.html", rows=page.items, form=form, page=page,
                           args=link_args(), action_labels=ACTION_LABELS, chain=chain,
                           break_labels=BREAK_LABELS)
