"""The guardian portal: invite links, a guardian's own applicants, uploads from a phone."""
from flask import Blueprint

bp = Blueprint("guardian", __name__, url_prefix="/g")

from portal.guardian import views  # noqa: E402,F401
