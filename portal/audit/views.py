"""The audit log, for the city administrator and supervisors."""
from portal.tenancy import city_blueprint

bp = city_blueprint("audit", __name__, "/audit")


from flask import render_template  # noqa: E402
from flask_login import login_required  # noqa: E402
from sqlalchemy import select  # noqa: E402

from portal.audit.models import AuditEvent  # noqa: E402
from portal.auth.roles import Permission  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.tenancy import require  # noqa: E402


@bp.route("/")
@login_required
@require(Permission.VIEW_AUDIT)
def list_events():
    """The latest audit events."""
    events = db.session.scalars(
        select(AuditEvent).order_by(AuditEvent.id.desc()).limit(200)
    ).all()
    return render_template("audit/events.html", events=events)
