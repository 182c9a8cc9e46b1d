"""City overview: every township with its roster counts."""
from flask import render_template
from flask_login import login_required
from sqlalchemy import func, select

from portal.auth.roles import Permission
from portal.city import bp
from portal.extensions import db
from portal.reference.models import ConcentratedDay, Township
from portal.tenancy import current_access, require, scoped


@bp.route("/")
@login_required
@require(Permission.VIEW_CITY)
def index():
    """All townships with persons, both lists, poverty-registered, bedridden and their day.

    The counts come from the dashboard's summary when it is current or a job keeps it so
    (DASHBOARD_REFRESH_IN_JOBS), with the time they were computed; otherwise they are counted
    on this request."""
    from flask import current_app

    from portal.city.figures import FAMILY, KEYS, live_counts
    from portal.clock import local_today
    from portal.dashboards.figures import due_of, read_family
    from portal.dashboards.fragments import summary_states
    from portal.dashboards.refresh_jobs import refreshed_by_jobs

    access = current_access()
    townships = list(db.session.scalars(select(Township).order_by(Township.position)))
    ids = [t.id for t in townships]
    states = summary_states(access, ids)
    max_age = int(current_app.config.get("DASHBOARD_MAX_AGE_SECONDS", 300))
    counts, computed_at = {}, None
    if not due_of(states, ids, local_today(), max_age) or refreshed_by_jobs(max_age):
        counts = read_family(access, FAMILY, ids)
        if all("persons" in counts.get(tid, {}) for tid in ids) and ids:
            computed_at = min(states[tid][1] for tid in ids)
    if computed_at is None:
        counts = live_counts(access, ids)
    days = dict(db.session.execute(
        scoped(select(ConcentratedDay.township_id, func.min(ConcentratedDay.day)))
        .group_by(ConcentratedDay.township_id)
    ).all())
    rows = [{"township": township, **{key: counts.get(township.id, {}).get(key, 0)
                                      for key in KEYS},
             "day": days.get(township.id)} for township in townships]
    totals = {key: sum(row[key] for row in rows) for key in KEYS}
    return render_template("city/index.html", rows=rows, totals=totals,
                           computed_at=computed_at)


@bp.route("/roster-reports")
@login_required
def roster_reports():
    """Which townships have submitted their lists, when, and which are late."""
    from datetime import UTC, datetime

    from flask import current_app

    from portal.campaigns.services import active_campaign
    from portal.rosters.services import report_statuses
    from portal.tenancy import current_access

    campaign = active_campaign()
    statuses, deadline = report_statuses(
        current_access(), campaign, datetime.now(UTC),
        current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"),
    )
    return render_template("city/roster_reports.html", statuses=statuses, campaign=campaign,
                           deadline=deadline)
