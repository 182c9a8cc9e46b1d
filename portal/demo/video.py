"""The demo's finished video assessment: a short synthetic recording and a snapshot, stored in
the evidence store and collected by the same code that collects what the media service
answers when a doctor ends a real session (`portal.video.services.end_session`)."""
from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from portal.cases.services import assign_doctor
from portal.evidence.services import get_store
from portal.extensions import db
from portal.storage import evidence_key
from portal.video.models import VideoConsent, VideoSession
from portal.video.services import JoinWindow, end_session, schedule_session

SIZE, FPS, SECONDS = (320, 240), 10, 4


def synthetic_recording() -> tuple[bytes, bytes, int]:
    """An MP4 (H.264) of a moving bar over a plain background, a JPEG of its middle frame, and
    the number of frames. No camera, no person: a stand-in for a real call."""
    import av
    from PIL import Image, ImageDraw

    frames = FPS * SECONDS
    buffer, snapshot = io.BytesIO(), io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = SIZE
        stream.pix_fmt = "yuv420p"
        for n in range(frames):
            image = Image.new("RGB", SIZE, (30, 70 + n, 120))
            draw = ImageDraw.Draw(image)
            draw.rectangle([10 + n * 6, 90, 70 + n * 6, 150], fill=(240, 240, 240))
            draw.text((10, 10), f"demo {n // FPS + 1}s", fill=(255, 255, 255))
            if n == frames // 2:
                image.save(snapshot, "JPEG", quality=80)
            for packet in stream.encode(av.VideoFrame.from_image(image)):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue(), snapshot.getvalue(), frames


class _StoredAnswer:
    """Stands where the media client stands: it answers `end` with what was stored."""

    def __init__(self, answer: dict):
        self.answer = answer

    def end(self, room_id: str) -> dict:
        return self.answer


def finished_video_assessment(stories, case, app) -> VideoSession:
    """Schedule, hold (with both consents) and end a video session of `case`, then sign."""
    doctor, staff = stories.doctor, stories.staff
    assign_doctor(case, doctor.id, actor=staff, today=stories.day(-3))
    held = datetime.combine(stories.day(-2), time(10), tzinfo=UTC)
    session = schedule_session(
        case, actor=doctor, scheduled_at=held,
        media_node_url=app.config.get("MEDIA_SERVICE_URL") or "",
        secret=app.config.get("MEDIA_SHARED_SECRET") or app.config["SECRET_KEY"],
        window=JoinWindow.from_config(app.config))
    guardian = case.person.guardian_name or case.person.name
    parties = (("doctor", doctor.display_name, doctor), ("guardian", guardian, None))
    for party, name, user in parties:
        db.session.add(VideoConsent(township_id=case.township_id, session=session, party=party,
                                    name_typed=name, user_id=getattr(user, "id", None),
                                    given_at=held + timedelta(minutes=2)))
    session.state = "live"
    session.admitted_at = held + timedelta(minutes=1)
    session.media_started_at = held + timedelta(minutes=1)
    session.recording_started_at = held + timedelta(minutes=2)
    video, jpeg, frames = synthetic_recording()
    store = get_store(app)
    recording = store.put(evidence_key(case.township_id, case.id), io.BytesIO(video),
                          content_type="video/mp4")
    snapshot = store.put(evidence_key(case.township_id, case.id), io.BytesIO(jpeg),
                         content_type="image/jpeg")
    answer = {
        "recording": {"key": recording.key, "size": recording.size, "sha256": recording.sha256,
                      "content_type": "video/mp4", "duration_seconds": float(SECONDS),
                      "video_frames": frames, "width": SIZE[0], "height": SIZE[1],
                      "audio": False},
        "snapshots": [{"key": snapshot.key, "size": snapshot.size, "sha256": snapshot.sha256,
                       "content_type": "image/jpeg", "width": SIZE[0], "height": SIZE[1]}],
    }
    end_session(session, actor=doctor, client=_StoredAnswer(answer))
    session.ended_at = held + timedelta(minutes=25)
    stories.assess(case, -2, grade=2)
    db.session.flush()
    return db.session.execute(
        select(VideoSession).where(VideoSession.id == session.id)).scalar_one()
