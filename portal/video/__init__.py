"""Video assessment sessions: scheduling, waiting room, consent, signalling to the media service."""
from flask import Blueprint

from portal.tenancy import tenant_blueprint

bp = tenant_blueprint("video", __name__, "/video")
join_bp = Blueprint("video_join", __name__, url_prefix="/join")

from portal.video import join_views, link_views, views  # noqa: F401
