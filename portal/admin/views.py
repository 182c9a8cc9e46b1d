"""User management for the city administrator."""
from flask import render_template
from flask_login import login_required
from sqlalchemy import select

from portal.admin import bp
from portal.auth.models import User
from portal.auth.roles import Permission
from portal.extensions import db
from portal.tenancy import require


@bp.route("/users")
@login_required
@require(Permission.MANAGE_USERS)
def list_users():
    """All accounts with their roles."""
    users = db.session.scalars(select(User).order_by(User.username)).all()
    return render_template("admin/users.html", users=users)
