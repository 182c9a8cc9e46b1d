"""Objections during the public notice (公示): the notice's public page where anyone may object,
objections staff record, their checking and outcome, and the rule that an open objection holds
the case at the end of its notice."""
from flask import Blueprint

from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("objections", __name__, "/objections")
# The public page of a printed notice: /n/<code>, no login.
notice_bp = Blueprint("notice", __name__, url_prefix="/n")

from portal.objections import public_views, views, workflow  # noqa: F401
