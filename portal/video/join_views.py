"""Guardian's video pages (public, by join link): the join link, waiting room and session."""
from __future__ import annotations

from flask import abort, jsonify, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from portal.extensions import db
from portal.models_base import utcnow
from portal.refusals import Refused, message
from portal.tenancy import scoped
from portal.video import join_bp
from portal.video.forms import StepForm
from portal.video.models import ACTIVE_STATES, VideoSession
from portal.video.services import (
    bind_link,
    find_by_token,
    forward_offer,
    join_url_for,
    leave_session,
    link_problem,
    refresh_from_media,
)
from portal.video.views import (
    _client,
    _consent,
    _done,
    _offer_data,
    _refused,
    _room_context,
    _status,
    _window,
    _zone,
    video_time,
)

GUEST_KEY = "video_join"


def _bound_to(vs: VideoSession | None) -> bool:
    binding = browser_session.get(GUEST_KEY) or {}
    return (vs is not None and binding.get("id") == vs.id
            and binding.get("nonce") == vs.join_nonce)


def _guest_session(session_id: int) -> VideoSession:
    """The session this browser's spent join link is bound to; any other is a 404."""
    binding = browser_session.get(GUEST_KEY) or {}
    if binding.get("id") != session_id:
        abort(404)
    # Public-by-link page: the signed cookie's binding (id and link nonce) is the authority.
    vs = db.session.get(VideoSession, session_id)
    if vs is None or vs.join_nonce != binding.get("nonce"):
        abort(404)
    return vs


@join_bp.route("/<token>", methods=["GET", "POST"])
def open_link(token: str):
    """The guardian's join link: a page with one button; pressing it spends the link here."""
    vs = find_by_token(token)
    bound = _bound_to(vs)
    problem = link_problem(vs, now=utcnow(), window=_window(), bound=bound)
    if problem == "video_link_too_early":
        text = message(problem, minutes=int(_window().early.total_seconds()) // 60,
                       time=video_time(vs.scheduled_at))
        return render_template("video/link_problem.html", message=text)
    if problem:
        return render_template("video/link_problem.html", message=message(problem)), (
            404 if problem == "video_link_unknown" else 410)
    form = StepForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        bind_link(vs, now=utcnow())
        browser_session[GUEST_KEY] = {"id": vs.id, "nonce": vs.join_nonce}
        return redirect(url_for("video_join.room", session_id=vs.id))
    return render_template("video/join.html", vs=vs, form=form, zone=_zone())


@join_bp.route("/<int:session_id>/room")
def room(session_id: int):
    """The guardian's waiting room, then the session once the doctor has let them in."""
    vs = _guest_session(session_id)
    urls = {name: url_for(f"video_join.{endpoint}", session_id=vs.id) for name, endpoint in (
        ("offer", "guest_offer"), ("status", "guest_status"), ("consent", "guest_consent"),
        ("leave", "guest_leave"))}
    return render_template("video/room.html", **_room_context(vs, "guardian", urls),
                           join_url=None, media=[], zone=_zone())


@join_bp.route("/<int:session_id>/offer", methods=["POST"])
def guest_offer(session_id: int):
    """Forward the guardian's browser offer (once admitted) to the media service."""
    vs = _guest_session(session_id)
    sdp, kind, audio_only = _offer_data()
    try:
        answer = forward_offer(vs, role="guardian", sdp=sdp, kind=kind, audio_only=audio_only)
    except Refused as refusal:
        return _refused(refusal, url_for("video_join.room", session_id=vs.id))
    return jsonify(answer)


@join_bp.route("/<int:session_id>/status")
def guest_status(session_id: int):
    """The session's state for the guardian's page (polled every 2 s)."""
    vs = _guest_session(session_id)
    media = refresh_from_media(vs, _client(vs))
    return jsonify(_status(vs, media))


@join_bp.route("/<int:session_id>/consent", methods=["POST"])
def guest_consent(session_id: int):
    """The guardian's consent to recording (with the name typed on screen)."""
    vs = _guest_session(session_id)
    if vs.admitted_at is None:
        return _refused(Refused("video_not_admitted"),
                        url_for("video_join.room", session_id=vs.id))
    return _consent(vs, "guardian", None, url_for("video_join.room", session_id=vs.id))


@join_bp.route("/<int:session_id>/leave", methods=["POST"])
def guest_leave(session_id: int):
    """The guardian leaves for now; the same browser may come back while the session runs."""
    vs = _guest_session(session_id)
    if not StepForm().validate_on_submit():
        abort(400)
    leave_session(vs, role="guardian", client=_client(vs))
    return _done(_("You left the session. You can come back with the same link on this "
                   "phone."), url_for("video_join.room", session_id=vs.id))


@join_bp.app_template_global()
def guardian_video_sessions(case) -> list[dict]:
    """The case's video sessions a guardian may still join, with their links (guardian portal)."""
    if not current_user.is_authenticated or "guardian" not in current_user.roles:
        return []
    sessions = db.session.scalars(
        scoped(select(VideoSession)).where(
            VideoSession.case_id == case.id, VideoSession.state.in_(sorted(ACTIVE_STATES)),
            VideoSession.join_used_at.is_(None),
        ).order_by(VideoSession.scheduled_at)
    ).all()
    return [{"session": s, "url": join_url_for(s)} for s in sessions]
