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
    """Which townships have submitted their lists (filled in by the roster reports work)."""
    townships = db.session.scalars(select(Township).order_by(Township.position)).all()
    return render_template("city/roster_reports.html", townships=townships)
