"""People of a township: list, show, create, edit, reveal; roster reports."""
from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.extensions import db
from portal.rosters import bp
from portal.rosters.models import Person
from portal.tenancy import require, scoped


@bp.route("/persons")
@login_required
@require(Permission.VIEW_PERSONS)
def list_persons():
    """The township's people (filled in by the people work)."""
    persons = db.session.scalars(scoped(select(Person)).order_by(Person.name).limit(50)).all()
    return render_template("rosters/persons.html", persons=persons)


@bp.route("/reports")
@login_required
@require(Permission.SUBMIT_ROSTER_REPORT)
def list_reports():
    """Roster reports submitted by this township."""
    return render_template("rosters/reports.html")
