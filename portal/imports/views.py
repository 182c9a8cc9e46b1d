"""Roster import pages."""
from flask import render_template
from flask_login import login_required

from portal.auth.roles import Permission
from portal.imports import bp
from portal.tenancy import require


@bp.route("/new")
@login_required
@require(Permission.IMPORT_ROSTER)
def new_import():
    """Upload form (filled in by the import work)."""
    return render_template("imports/new.html")
