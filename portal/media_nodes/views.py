"""`POST /media/heartbeat`: a media node says it is alive (signed like every request between
the portal and the media service; no user, no CSRF token, no township)."""
from __future__ import annotations

import json

from flask import current_app, request

from assessment_video.signing import Verifier
from portal.extensions import csrf, limiter
from portal.media_nodes import bp
from portal.media_nodes.services import record_heartbeat
from portal.refusals import Refused


def _verifier() -> Verifier | None:
    secret = current_app.config.get("MEDIA_SHARED_SECRET") or ""
    if not secret:
        return None
    known = current_app.extensions.get("media_heartbeat_verifier")
    if known is None or known[0] != secret:  # one per process: it remembers the nonces
        known = (secret, Verifier(secret))
        current_app.extensions["media_heartbeat_verifier"] = known
    return known[1]


@bp.route("/heartbeat", methods=["POST"])
@csrf.exempt
@limiter.exempt
def heartbeat():
    verifier = _verifier()
    body = request.get_data(cache=False)
    problem = "heartbeats are off" if verifier is None else verifier.check(
        request.method, request.script_root + request.path, body, request.headers)
    if problem:
        current_app.logger.warning("media heartbeat refused: %s", problem)
        return {"error": problem}, 401
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise Refused("media_heartbeat_invalid", status=400)
    node = record_heartbeat(data, current_app.config)
    return {"ok": True, "node": node.name, "drained": node.drained}
