"""City overview: every township with its roster counts."""
from flask import render_template
from flask_login import login_required
from sqlalchemy import case, func, select

from portal.auth.roles import Permission
from portal.city import bp
from portal.extensions import db
from portal.reference.models import ConcentratedDay, Township
from portal.rosters.models import Person, RosterEntry
from portal.tenancy import require, scoped


@bp.route("/")
@login_required
@require(Permission.VIEW_CITY)
def index():
    """All townships with persons, both lists, poverty-registered, bedridden and their day."""
    people = {
        row.township_id: row
        for row in db.session.execute(
            scoped(select(
                Person.township_id,
                func.count().label("persons"),
                func.sum(case((Person.poverty_registered.is_(True), 1), else_=0)).label("poverty"),
                func.sum(case((Person.mobility == "bedridden", 1), else_=0)).label("bedridden"),
            )).group_by(Person.township_id)
        )
    }
    lists: dict[int, dict[str, int]] = {}
    for township_id, kind, count in db.session.execute(
        scoped(select(RosterEntry.township_id, RosterEntry.list_kind, func.count()))
        .group_by(RosterEntry.township_id, RosterEntry.list_kind)
    ):
        lists.setdefault(township_id, {})[kind] = count
    days = dict(db.session.execute(
        scoped(select(ConcentratedDay.township_id, func.min(ConcentratedDay.day)))
        .group_by(ConcentratedDay.township_id)
    ).all())
    rows = []
    for township in db.session.scalars(select(Township).order_by(Township.position)):
        counts = people.get(township.id)
        rows.append({
            "township": township,
            "persons": counts.persons if counts else 0,
            "expired": lists.get(township.id, {}).get("expired", 0),
            "suspected": lists.get(township.id, {}).get("suspected", 0),
            "poverty": int(counts.poverty or 0) if counts else 0,
            "bedridden": int(counts.bedridden or 0) if counts else 0,
            "day": days.get(township.id),
        })
    keys = ("persons", "expired", "suspected", "poverty", "bedridden")
    totals = {key: sum(row[key] for row in rows) for key in keys}
    return render_template("city/index.html", rows=rows, totals=totals)


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
