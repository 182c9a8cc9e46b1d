"""Video sessions: scheduling, the guardian's join link, admission, consent, signalling to the
media service, snapshots, end and recovery. The media service is reached only through a
`MediaClient` passed in; when it cannot be reached the session is marked interrupted.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app

from portal.audit.services import record_event
from portal.cases.models import OPEN_STATES
from portal.extensions import db
from portal.models_base import utcnow
from portal.public_url import public_url
from portal.refusals import Refused
from portal.uow import after_rollback, unit_of_work
from portal.video.media_client import MediaClient, MediaUnavailable, client_for
from portal.video.models import ACTIVE_STATES, VideoConsent, VideoMedia, VideoSession

ROLES = ("doctor", "guardian")


@dataclass(frozen=True)
class JoinWindow:
    """How long before and after the session time the guardian's link opens."""

    early: timedelta
    late: timedelta

    @classmethod
    def from_config(cls, config) -> JoinWindow:
        return cls(timedelta(minutes=int(config["VIDEO_JOIN_EARLY_MINUTES"])),
                   timedelta(minutes=int(config["VIDEO_JOIN_LATE_MINUTES"])))


def _aware(moment: datetime) -> datetime:
    """Datetimes read back from SQLite are naive UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def join_token(session: VideoSession, secret: str) -> str:
    """The session's current join token, rebuilt from the secret key and the link's nonce."""
    mac = hmac.new(secret.encode(), f"video-join:{session.room_id}:{session.join_nonce}".encode(),
                   hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def _new_link(session: VideoSession, secret: str, window: JoinWindow) -> None:
    session.join_nonce = secrets.token_hex(16)
    session.join_token_hash = _hash(join_token(session, secret))
    session.join_expires_at = _aware(session.scheduled_at) + window.late
    session.join_used_at = None


def join_url_for(session: VideoSession) -> str:
    """The guardian's join link of the session (absolute URL), e.g. for the guardian portal."""
    token = join_token(session, current_app.config["SECRET_KEY"])
    return public_url("video_join.open_link", token=token)


def _tell_guardian(case, session: VideoSession) -> None:
    """The guardian gets the join link and the time by SMS (a new link, a new message)."""
    from zoneinfo import ZoneInfo

    from portal.notices import events

    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai"))
    events.video_assessment(case, session, join_url_for(session),
                            _aware(session.scheduled_at).astimezone(zone))


def schedule_session(case, *, actor, scheduled_at: datetime, media_node_url: str, secret: str,
                     window: JoinWindow) -> VideoSession:
    """Schedule a video assessment of an open case by its doctor, with a fresh join link."""
    if case.state not in OPEN_STATES:
        raise Refused("video_case_closed")
    if case.doctor_id != actor.id:
        raise Refused("video_not_case_doctor")
    session = VideoSession(
        township_id=case.township_id, case_id=case.id, doctor_id=actor.id,
        room_id=secrets.token_urlsafe(24), state="scheduled", scheduled_at=scheduled_at,
        media_node_url=media_node_url,
    )
    _new_link(session, secret, window)
    db.session.add(session)
    db.session.flush()
    record_event("video.schedule", actor=actor, obj=session,
                 details={"case_id": case.id, "scheduled_at": scheduled_at.isoformat()})
    _tell_guardian(case, session)
    return session


def reissue_link(session: VideoSession, *, actor, secret: str, window: JoinWindow) -> None:
    """Replace the join link: the old link and any browser it was bound to stop working."""
    if session.state not in ACTIVE_STATES:
        raise Refused("video_session_over")
    _new_link(session, secret, window)
    if session.state == "waiting":
        session.state = "scheduled"
    db.session.flush()
    record_event("video.reissue_link", actor=actor, obj=session)
    _tell_guardian(session.case, session)


def find_by_token(token: str) -> VideoSession | None:
    """The session whose current join link is `token` (the token itself is the authority)."""
    if not token or len(token) > 100:
        return None
    # Public-by-token page: no township or user to scope by; the unguessable token's hash is
    # the only key that reaches the row.
    return db.session.execute(
        db.select(VideoSession).where(VideoSession.join_token_hash == _hash(token))
    ).scalar_one_or_none()


def link_problem(session: VideoSession | None, *, now: datetime, window: JoinWindow,
                 bound: bool) -> str | None:
    """Why the join link cannot be used now, as a code of the refusal catalogue (None when it
    can); `bound`: this browser holds it."""
    if session is None:
        return "video_link_unknown"
    if session.state not in ACTIVE_STATES:
        return "video_link_session_over"
    if session.join_used_at is not None and not bound:
        return "video_link_used"
    if now < _aware(session.scheduled_at) - window.early:
        return "video_link_too_early"
    if now > _aware(session.join_expires_at):
        return "video_link_expired"
    return None


def bind_link(session: VideoSession, *, now: datetime) -> None:
    """Spend the join link on this browser: the guardian now waits to be admitted."""
    if session.join_used_at is None:
        session.join_used_at = now
        if session.state == "scheduled":
            session.state = "waiting"
        db.session.flush()
        record_event("video.link_opened", obj=session)


def admit_guardian(session: VideoSession, *, actor) -> None:
    """The doctor lets the waiting guardian into the session."""
    if session.state not in ACTIVE_STATES:
        raise Refused("video_session_over")
    if session.join_used_at is None:
        raise Refused("video_nobody_waiting")
    if session.admitted_at is None:
        session.admitted_at = utcnow()
    session.state = "live"
    db.session.flush()
    record_event("video.admit", actor=actor, obj=session)


def mark_interrupted(session: VideoSession, reason: str) -> None:
    """The media service was lost: the session cannot go on; what was recorded is recovered.

    The loss is a fact whatever becomes of the request that found it: when that request is
    refused (video_media_unavailable) and rolls back, the interruption is written again in a
    unit of work of its own."""
    if _interrupt(session, reason):
        session_id = session.id
        after_rollback(lambda: _keep_interruption(session_id, reason))


def _interrupt(session: VideoSession, reason: str) -> bool:
    if session.state not in ACTIVE_STATES:
        return False
    session.state = "interrupted"
    db.session.flush()
    record_event("video.interrupted", obj=session, details={"reason": reason[:200]})
    return True


def _keep_interruption(session_id: int, reason: str) -> None:
    with unit_of_work():
        session = db.session.get(VideoSession, session_id)
        if session is not None:
            _interrupt(session, reason)


def _call(session: VideoSession, fn, *args):
    """Call the media service; an unreachable service interrupts the session."""
    try:
        return fn(*args)
    except MediaUnavailable as error:
        mark_interrupted(session, str(error))
        raise Refused("video_media_unavailable", status=503) from None
    except Refused as refusal:  # the media service's refusal, as the portal's
        current_app.logger.warning("media service refused for session %s: %s", session.id,
                                   refusal.code)
        raise


def forward_offer(session: VideoSession, *, role: str, sdp: str, kind: str, audio_only: bool,
                  client: MediaClient | None = None) -> dict:
    """Pass a browser's offer to the media service (after checking the session allows it).

    The session's first offer places it on a node of the pool (portal/media_nodes); later ones
    go to that node. `client` (a node given by the caller) skips the pool."""
    from portal.media_nodes.services import place_session

    if session.state not in ACTIVE_STATES:
        raise Refused("video_session_over")
    if role == "guardian" and session.admitted_at is None:
        raise Refused("video_not_admitted")
    if kind != "offer" or not sdp:
        raise Refused("video_bad_offer")
    if client is None and session.media_started_at is None:
        answer, client = place_session(
            session, lambda node: node.offer(session.room_id, role, sdp, kind, audio_only),
            current_app.config)
    else:
        client = client or client_for(current_app.config, session.media_node_url or None)
        answer = _call(session, client.offer, session.room_id, role, sdp, kind, audio_only)
    if session.media_started_at is None:
        session.media_started_at = utcnow()
    db.session.flush()
    _start_recording_if_ready(session, client)
    return {"sdp": answer.get("sdp"), "type": answer.get("type", "answer")}


def leave_session(session: VideoSession, *, role: str, client: MediaClient) -> None:
    """One side leaves; the session goes on and either side may come back."""
    if session.state in ACTIVE_STATES and session.media_started_at is not None:
        try:
            client.leave(session.room_id, role)
        except Refused:
            pass  # the room had no peer of that role: nothing to leave
        except MediaUnavailable as error:
            mark_interrupted(session, str(error))
    record_event("video.leave", obj=session, details={"role": role})


def give_consent(session: VideoSession, *, party: str, name: str, user,
                 client: MediaClient) -> VideoConsent:
    """Record one party's on-screen consent; recording starts once both have consented."""
    if session.state not in ACTIVE_STATES:
        raise Refused("video_session_over")
    consent = session.consent_of(party)
    if consent is None:
        consent = VideoConsent(township_id=session.township_id, session=session, party=party,
                               name_typed=name.strip()[:100], user_id=getattr(user, "id", None),
                               given_at=utcnow())
        db.session.add(consent)
        db.session.flush()
        record_event("video.consent", actor=user, obj=session, details={"party": party})
    _start_recording_if_ready(session, client)
    return consent


def _key_prefix(session: VideoSession) -> str:
    return f"townships/{session.township_id}/cases/{session.case_id}/"


def _start_recording_if_ready(session: VideoSession, client: MediaClient) -> bool:
    """Ask the media service to record, only with both consents and a room in use."""
    if (session.recording_started_at is not None or not session.both_consented
            or session.state != "live" or session.media_started_at is None):
        return False
    _call(session, client.start_recording, session.room_id, _key_prefix(session))
    session.recording_started_at = utcnow()
    db.session.flush()
    record_event("video.recording_started", obj=session)
    return True


def capture_snapshot(session: VideoSession, *, actor, client: MediaClient):
    """The doctor's capture: the applicant's current frame, kept as snapshot evidence."""
    if session.state != "live":
        raise Refused("video_not_live")
    answer = _call(session, client.snapshot, session.room_id, _key_prefix(session))
    evidence = _add_evidence(session, answer, kind="snapshot", actor=actor)
    record_event("video.snapshot", actor=actor, obj=session, details={"evidence_id": evidence.id})
    return evidence


def begin_end(session: VideoSession) -> None:
    """Note that the session is ending, so that status polls meanwhile leave it alone."""
    if session.state not in ACTIVE_STATES:
        raise Refused("video_session_over")
    session.ended_at = utcnow()
    db.session.flush()


def end_session(session: VideoSession, *, actor, client: MediaClient) -> list:
    """The doctor ends the session: the recording and snapshots become evidence of the case."""
    if session.state not in ACTIVE_STATES:
        raise Refused("video_session_over")
    answer: dict = {}
    if session.media_started_at is not None:
        try:
            answer = client.end(session.room_id)
        except Refused:
            answer = {}  # the media service no longer knows the room: nothing to collect
        except MediaUnavailable as error:
            mark_interrupted(session, str(error))
            raise Refused("video_media_unavailable", status=503) from None
    session.state = "ended"
    session.ended_at = utcnow()
    added = _collect(session, answer, actor=actor)
    record_event("video.end", actor=actor, obj=session,
                 details={"evidence_ids": [e.id for e in added]})
    return added


def recover_session(session: VideoSession, *, actor, client: MediaClient) -> list:
    """After an interruption, collect what the media service kept of the recording."""
    if session.state != "interrupted":
        raise Refused("video_not_interrupted")
    try:
        answer = client.recover(session.room_id)
    except Refused:
        answer = {}
    except MediaUnavailable:
        raise Refused("video_media_unavailable", status=503) from None
    added = _collect(session, answer, actor=actor)
    if session.ended_at is None:
        session.ended_at = utcnow()
    record_event("video.recover", actor=actor, obj=session,
                 details={"evidence_ids": [e.id for e in added]})
    return added


def _collect(session: VideoSession, answer: dict, *, actor) -> list:
    """Evidence rows for the recording and any snapshot not yet on the case."""
    added = []
    for shot in answer.get("snapshots") or []:
        if shot and not _evidence_exists(shot.get("key")):
            added.append(_add_evidence(session, shot, kind="snapshot", actor=actor))
    recording = answer.get("recording")
    if recording and not _evidence_exists(recording.get("key")):
        evidence = _add_evidence(session, recording, kind="recording", actor=actor)
        session.recording_evidence_id = evidence.id
        added.append(evidence)
    db.session.flush()
    return added


def _evidence_exists(key: str | None) -> bool:
    from portal.evidence.models import Evidence

    if not key:
        return True
    return db.session.execute(
        db.select(Evidence.id).where(Evidence.object_key == key)
    ).first() is not None


FILE_NAMES = {"recording": "recording-%d", "snapshot": "snapshot-%d"}
# The media service records WebM (packets as received); an MP4 is still named as one.
EXTENSIONS = {"video/webm": ".webm", "video/mp4": ".mp4", "image/jpeg": ".jpg"}


def _add_evidence(session: VideoSession, media: dict, *, kind: str, actor):
    """One Evidence row of the case from what the media service stored, with its measures."""
    from portal.evidence.models import Evidence

    for name in ("key", "size", "sha256"):
        if not media.get(name):
            raise Refused("video_media_answer_incomplete", status=502)
    prefix = _key_prefix(session)
    if not str(media["key"]).startswith(prefix):
        # never attach another case's object
        raise Refused("video_media_answer_incomplete", status=502)
    evidence = Evidence(
        township_id=session.township_id, case_id=session.case_id, kind=kind,
        object_key=media["key"], size=int(media["size"]), sha256=media["sha256"],
        content_type=media.get("content_type") or "application/octet-stream",
        original_filename=(FILE_NAMES[kind] % session.id)
        + EXTENSIONS.get(media.get("content_type"), ""),
        uploaded_by_id=getattr(actor, "id", None) or session.doctor_id,
    )
    db.session.add(evidence)
    db.session.flush()
    db.session.add(VideoMedia(
        township_id=session.township_id, evidence_id=evidence.id, session_id=session.id,
        duration_seconds=media.get("duration_seconds"), video_frames=media.get("video_frames"),
        width=media.get("width"), height=media.get("height"), has_audio=media.get("audio"),
    ))
    db.session.flush()
    return evidence


def refresh_from_media(session: VideoSession, client: MediaClient) -> dict:
    """The media service's view of the room; a lost service or room interrupts the session."""
    if (session.state not in ACTIVE_STATES or session.media_started_at is None
            or session.ended_at is not None):
        return {}
    try:
        return client.room(session.room_id)
    except MediaUnavailable as error:
        mark_interrupted(session, str(error))
    except Refused as refusal:
        if refusal.code == "video_room_unknown":
            # The room was in use and the service no longer knows it: it restarted.
            mark_interrupted(session, "room lost")
    return {}
