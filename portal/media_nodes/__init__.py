"""The pool of media nodes: which `assessment_video` processes exist (named in the
configuration or registered by their heartbeats), which are healthy, drained, or gone, and
where a new video session goes (docs/deploy.md, "Several media nodes")."""
from flask import Blueprint

bp = Blueprint("media_nodes", __name__, url_prefix="/media")

from portal.media_nodes import views  # noqa: E402, F401
