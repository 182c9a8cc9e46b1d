"""Views of the video area, doctor side: the case's sessions, the doctor's room, and the JSON
endpoints the browser client (static/js/video.js) calls; the guardian's pages are in
join_views.py."""
from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.cases.models import Case
from portal.extensions import db
from portal.models_base import utcnow
from portal.refusals import Refused, message
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.uow import discard, unit_of_work
from portal.video import bp
from portal.video.forms import ConsentForm, ScheduleForm, StepForm
from portal.video.media_client import client_for
from portal.video.models import ACTIVE_STATES, VideoMedia, VideoSession
from portal.video.services import (
    JoinWindow,
    admit_guardian,
    begin_end,
    capture_snapshot,
    end_session,
    forward_offer,
    give_consent,
    join_url_for,
    leave_session,
    recover_session,
    refresh_from_media,
    reissue_link,
    schedule_session,
)
from portal.video.turn import ice_servers_for

STATE_LABELS = {
    "scheduled": _l("Scheduled"),
    "waiting": _l("The guardian is in the waiting room"),
    "live": _l("In progress"),
    "ended": _l("Ended"),
    "interrupted": _l("Interrupted: the video service was lost"),
}

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))


def _window() -> JoinWindow:
    return JoinWindow.from_config(current_app.config)


def _client(vs: VideoSession):
    return client_for(current_app.config, vs.media_node_url or None)


def _ice_servers(vs: VideoSession, role: str) -> list:
    """ICE servers for this session's page: TURN credentials are issued per session and role,
    and expire (portal/video/turn.py)."""
    return ice_servers_for(current_app.config, f"video-{vs.id}-{role}", utcnow())


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _refused(refusal: Refused, back: str):
    """Answer a refusal: JSON for the browser client, a flashed message for a plain form.
    Either way the request rolls back (an interruption found on the way is kept: see
    services.mark_interrupted)."""
    if _wants_json():
        return jsonify(error=refusal.code, message=refusal.message), refusal.status
    discard()
    flash(refusal.message, "error")
    return redirect(back)


def _done(text: str, back: str, **data):
    if _wants_json():
        return jsonify(ok=True, message=text, **data)
    flash(text, "success")
    return redirect(back)


def _status(vs: VideoSession, media: dict) -> dict:
    return {
        "state": vs.state,
        "state_text": str(STATE_LABELS[vs.state]),
        "guardian_arrived": vs.join_used_at is not None,
        "admitted": vs.admitted_at is not None,
        "consent": {p: vs.consent_of(p) is not None for p in ("doctor", "guardian")},
        "recording": vs.recording_started_at is not None and vs.state == "live",
        "peers": media.get("peers") or {},
    }


def _offer_data() -> tuple[str, str, bool]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return str(data.get("sdp") or ""), str(data.get("type") or ""), bool(data.get("audio_only"))


def _room_context(vs: VideoSession, role: str, urls: dict) -> dict:
    return {
        "vs": vs, "role": role, "urls": urls, "STATE_LABELS": STATE_LABELS,
        "ice_servers": json.dumps(_ice_servers(vs, role)),
        "max_bitrate": current_app.config[
            "VIDEO_DOCTOR_MAX_BITRATE" if role == "doctor" else "VIDEO_MAX_BITRATE"],
        "consent_form": ConsentForm(), "step_form": StepForm(),
    }


# --- the doctor's side (tenant pages) ------------------------------------------------------

def _is_case_doctor(vs_or_case) -> bool:
    case = vs_or_case if isinstance(vs_or_case, Case) else vs_or_case.case
    return current_access().can(Permission.ASSESS) and case.doctor_id == current_user.id


def _doctor_session(session_id: int) -> VideoSession:
    """The session, for its case's doctor only (others who see the case get 403)."""
    vs = get_scoped_or_404(VideoSession, session_id)
    if not _is_case_doctor(vs):
        abort(403)
    return vs


def _evidence_of(vs: VideoSession) -> list[VideoMedia]:
    stmt = scoped(select(VideoMedia)).where(VideoMedia.session_id == vs.id).order_by(
        VideoMedia.id)
    return list(db.session.scalars(stmt))


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CASES)
def case_sessions(case_id: int):
    """A case's video sessions; its doctor schedules a new one here and gets the join link."""
    case = get_scoped_or_404(Case, case_id)
    is_doctor = _is_case_doctor(case)
    form = ScheduleForm() if is_doctor else None
    if request.method == "POST":
        if not is_doctor:
            abort(403)
        if form.validate_on_submit():
            when = form.scheduled_at.data.replace(tzinfo=_zone()).astimezone(UTC)
            if when < utcnow():
                form.scheduled_at.errors.append(_("Choose a time that has not passed."))
            else:
                try:
                    vs = schedule_session(
                        case, actor=current_user, scheduled_at=when,
                        media_node_url="",  # placed on a node at its first offer
                        secret=current_app.config["SECRET_KEY"], window=_window(),
                    )
                except Refused as refusal:
                    return _refused(refusal, url_for("video.case_sessions", case_id=case.id))
                flash(_("Video assessment scheduled. Send the join link to the guardian."),
                      "success")
                return redirect(url_for("video.case_sessions", case_id=case.id,
                                        _anchor=f"session-{vs.id}"))
    sessions = db.session.scalars(
        scoped(select(VideoSession)).where(VideoSession.case_id == case.id)
        .order_by(VideoSession.scheduled_at.desc(), VideoSession.id.desc())
    ).all()
    links = {vs.id: join_url_for(vs) for vs in sessions
             if is_doctor and vs.state in ACTIVE_STATES}
    media = {vs.id: _evidence_of(vs) for vs in sessions}
    return render_template("video/case_sessions.html", case=case, sessions=sessions, form=form,
                           links=links, media=media, STATE_LABELS=STATE_LABELS,
                           is_doctor=is_doctor, step_form=StepForm(), zone=_zone(),
                           window=_window()), (
        400 if form is not None and form.errors else 200)


@bp.route("/<int:session_id>")
@login_required
@require(Permission.VIEW_CASES)
def show_session(session_id: int):
    """The doctor's room; anyone else who sees the case gets the session's summary."""
    vs = get_scoped_or_404(VideoSession, session_id)
    if not _is_case_doctor(vs):
        return render_template("video/summary.html", vs=vs, media=_evidence_of(vs),
                               STATE_LABELS=STATE_LABELS, zone=_zone())
    urls = {name: url_for(f"video.{endpoint}", session_id=vs.id) for name, endpoint in (
        ("offer", "doctor_offer"), ("status", "doctor_status"), ("consent", "doctor_consent"),
        ("leave", "doctor_leave"), ("admit", "admit"), ("snapshot", "snapshot"),
        ("end", "end"), ("recover", "recover"), ("quality", "link_quality"))}
    urls["back"] = url_for("video.case_sessions", case_id=vs.case_id)
    return render_template("video/room.html", **_room_context(vs, "doctor", urls),
                           join_url=join_url_for(vs) if vs.state in ACTIVE_STATES else None,
                           media=_evidence_of(vs), zone=_zone())


@bp.route("/<int:session_id>/offer", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def doctor_offer(session_id: int):
    """Forward the doctor's browser offer to the media service and return its answer."""
    vs = _doctor_session(session_id)
    sdp, kind, audio_only = _offer_data()
    try:
        answer = forward_offer(vs, role="doctor", sdp=sdp, kind=kind, audio_only=audio_only)
    except Refused as refusal:
        return _refused(refusal, url_for("video.show_session", session_id=vs.id))
    return jsonify(answer)


@bp.route("/<int:session_id>/status")
@login_required
@require(Permission.VIEW_CASES)
def doctor_status(session_id: int):
    """The session's state for the doctor's page (polled every 2 s); read-only for others."""
    vs = get_scoped_or_404(VideoSession, session_id)
    media = refresh_from_media(vs, _client(vs))
    return jsonify(_status(vs, media))


@bp.route("/<int:session_id>/admit", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def admit(session_id: int):
    """The doctor lets the guardian in from the waiting room."""
    vs = _doctor_session(session_id)
    back = url_for("video.show_session", session_id=vs.id)
    if not StepForm().validate_on_submit():
        abort(400)
    try:
        admit_guardian(vs, actor=current_user)
    except Refused as refusal:
        return _refused(refusal, back)
    return _done(_("The guardian was let in."), back)


@bp.route("/<int:session_id>/consent", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def doctor_consent(session_id: int):
    """The doctor's consent to recording (with the name typed on screen)."""
    vs = _doctor_session(session_id)
    return _consent(vs, "doctor", current_user, url_for("video.show_session", session_id=vs.id))


def _consent(vs: VideoSession, party: str, user, back: str):
    form = ConsentForm()
    if not form.validate_on_submit():
        if _wants_json():
            return jsonify(error="video_consent_invalid", fields=form.errors,
                           message=message("video_consent_invalid")), 400
        return _refused(Refused("video_consent_invalid", status=400), back)
    try:
        give_consent(vs, party=party, name=form.name.data, user=user, client=_client(vs))
    except Refused as refusal:
        return _refused(refusal, back)
    return _done(_("Thank you: your consent is recorded."), back)


@bp.route("/<int:session_id>/snapshot", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def snapshot(session_id: int):
    """The doctor's capture: the applicant's current frame becomes snapshot evidence."""
    vs = _doctor_session(session_id)
    back = url_for("video.show_session", session_id=vs.id)
    if not StepForm().validate_on_submit():
        abort(400)
    try:
        evidence = capture_snapshot(vs, actor=current_user, client=_client(vs))
    except Refused as refusal:
        return _refused(refusal, back)
    return _done(_("Snapshot kept as evidence of the case."), back, evidence_id=evidence.id)


@bp.route("/<int:session_id>/leave", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def doctor_leave(session_id: int):
    """The doctor leaves for now; the session goes on and they may rejoin."""
    vs = _doctor_session(session_id)
    if not StepForm().validate_on_submit():
        abort(400)
    leave_session(vs, role="doctor", client=_client(vs))
    return _done(_("You left the session. You can rejoin it."),
                 url_for("video.case_sessions", case_id=vs.case_id))


@bp.route("/<int:session_id>/end", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def end(session_id: int):
    """The doctor ends the session; recording and snapshots become evidence of the case."""
    vs = _doctor_session(session_id)
    back = url_for("video.case_sessions", case_id=vs.case_id)
    if not StepForm().validate_on_submit():
        abort(400)
    try:
        # A unit of work of its own, committed before the (slow) media call: the status polls
        # meanwhile see the session ending and leave it alone.
        with unit_of_work():
            begin_end(vs)
        added = end_session(vs, actor=current_user, client=_client(vs))
    except Refused as refusal:
        return _refused(refusal, back)
    return _done(_("Session ended. %(n)s item(s) of evidence added to the case.", n=len(added)),
                 back, evidence_ids=[e.id for e in added], next_url=back)


@bp.route("/<int:session_id>/recover", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def recover(session_id: int):
    """After an interruption, attach what the video service kept of the recording."""
    vs = _doctor_session(session_id)
    back = url_for("video.case_sessions", case_id=vs.case_id)
    if not StepForm().validate_on_submit():
        abort(400)
    try:
        added = recover_session(vs, actor=current_user, client=_client(vs))
    except Refused as refusal:
        discard()
        flash(refusal.message, "error")
        return redirect(back)
    return _done(_("%(n)s item(s) of evidence recovered.", n=len(added)), back)


@bp.route("/<int:session_id>/link", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def new_link(session_id: int):
    """Issue a new join link (the old one and the browser it was opened on stop working)."""
    vs = _doctor_session(session_id)
    back = url_for("video.case_sessions", case_id=vs.case_id, _anchor=f"session-{vs.id}")
    if not StepForm().validate_on_submit():
        abort(400)
    try:
        reissue_link(vs, actor=current_user, secret=current_app.config["SECRET_KEY"],
                     window=_window())
    except Refused as refusal:
        return _refused(refusal, back)
    return _done(_("A new join link was made; the old one no longer works."), back)


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A stored moment as the campaign's local time."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment.tzinfo else (
        moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).strftime("%Y-%m-%d %H:%M"))


@bp.app_template_global("video_evidence_of")
def video_evidence_of(case) -> list[VideoMedia]:
    """Template helper: recordings and snapshots of the case's video sessions (scoped)."""
    if g.get("access") is None:
        return []
    stmt = scoped(select(VideoMedia)).join(
        VideoSession, VideoSession.id == VideoMedia.session_id
    ).where(VideoSession.case_id == case.id).order_by(VideoMedia.id)
    return list(db.session.scalars(stmt))


@bp.app_template_filter("video_time")
def video_time(moment: datetime | None) -> str:
    """Template filter: a session time in the campaign's time zone."""
    return local_time(moment, _zone()) if moment else ""
