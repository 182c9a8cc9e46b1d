"""The pool of media nodes: which `assessment_video` processes exist (named in the
configuration or registered by their heartbeats), which are healthy, drained, or gone, and
where a new video session goes (docs/deploy.md, "Several media nodes")."""
from flask import Blueprint

bp = Blueprint("media_nodes", __name__, url_prefix="/media")

from portal.media_nodes import upkeep, views  # noqa: F401
from portal.media_nodes.metrics import media_figures
from portal.observability.metrics import EXTRA_FIGURES

if media_figures not in EXTRA_FIGURES:
    EXTRA_FIGURES.append(media_figures)
