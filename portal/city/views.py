"""City overview: every township with its roster counts."""
from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from portal.city import bp
from portal.extensions import db
from portal.reference.models import Township
from portal.rosters.models import RosterEntry
from portal.tenancy import scoped


@bp.route("/")
@login_required
def index():
    """All townships with the size of their two lists."""
    counts = dict(
        db.session.execute(
            scoped(select(RosterEntry.township_id, func.count()).select_from(RosterEntry))
            .group_by(RosterEntry.township_id)
        ).all()
    )
    townships = db.session.scalars(select(Township).order_by(Township.position)).all()
    return render_template("city/index.html", townships=townships, counts=counts)


@bp.route("/roster-reports")
@login_required
def roster_reports():
    """Which townships have submitted their lists, when, and which are late."""
    from datetime import UTC, datetime

    from flask import current_app

    from portal.rosters.services import find_campaign, report_statuses
    from portal.tenancy import current_access

    campaign = find_campaign(current_app.config.get("CAMPAIGN_CODE", "mangshi-2020"))
    statuses, deadline = report_statuses(
        current_access(), campaign, datetime.now(UTC),
        current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"),
    )
    return render_template("city/roster_reports.html", statuses=statuses, campaign=campaign,
                           deadline=deadline)
