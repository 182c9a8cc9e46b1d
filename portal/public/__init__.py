"""Pages outside any township: the start page, language choice, health check."""
from flask import Blueprint

bp = Blueprint("public", __name__)

from portal.public import views  # noqa: F401
