"""The doctor's page reports the link's state (see portal/video/link_quality.py)."""
from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user, login_required

from portal.auth.roles import Permission
from portal.tenancy import require
from portal.video import bp
from portal.video.link_quality import note_link_quality
from portal.video.views import _doctor_session


@bp.route("/<int:session_id>/link-quality", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def link_quality(session_id: int):
    """A change of the link's class measured by the doctor's browser, kept in the log."""
    vs = _doctor_session(session_id)
    data = request.get_json(silent=True)
    note = note_link_quality(vs, actor=current_user,
                             data=data if isinstance(data, dict) else {})
    return jsonify(ok=True, note=note)
