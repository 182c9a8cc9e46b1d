"""A video assessment between two real browsers through the live portal and the real media
service: both pages decode the other side's video, consent starts the recording, and ending the
session leaves the recording on the case as evidence whose SHA-256 matches the stored object."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.browser.conftest import (
    MEDIA_PORT,
    MEDIA_SECRET,
    PASSWORD,
    add_video_case,
    log_in,
)


@pytest.fixture(scope="module")
def media_service(live_server, tmp_path_factory):
    """`python -m assessment_video` as a subprocess, sharing the portal's secret and store."""
    app = live_server.app
    spool = tmp_path_factory.mktemp("spool")
    env = dict(os.environ, MEDIA_SHARED_SECRET=MEDIA_SECRET, MEDIA_ICE_SERVERS="[]",
               EVIDENCE_BACKEND="local", EVIDENCE_DIR=app.config["EVIDENCE_DIR"],
               MEDIA_SPOOL_DIR=str(spool))
    log = spool / "media.log"
    log_file = log.open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "assessment_video", "--host", "127.0.0.1",
         "--port", str(MEDIA_PORT)], env=env, stderr=log_file)
    process.log = log
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{MEDIA_PORT}/healthz", timeout=1)
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                log_file.close()
                pytest.fail("the media service did not start")
            time.sleep(0.2)
    yield process
    process.terminate()
    process.wait(timeout=20)
    log_file.close()


@pytest.fixture(scope="module")
def doctor_case(live_server):
    """A doctor and a case of theirs in Mangshi, on the video path."""
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from portal.reference.models import Township
    from tests.conftest import enrol_test_totp

    app = live_server.app
    with app.app_context():
        township = db.session.scalars(db.select(Township).filter_by(code="mangshi")).one()
        doctor = create_user("live_video_doctor", PASSWORD)
        add_membership(doctor, "doctor", None)
        enrol_test_totp(doctor)
        staff = create_user("live_video_staff", PASSWORD)
        add_membership(staff, "township_staff", township)
        case = add_video_case(township, doctor=doctor, created_by=staff, name="视频测试",
                              pinyin="shi pin ce shi", initials="spcs",
                              born=date(1950, 3, 4), seq=77)
        db.session.commit()
        return {"case_id": case.id, "doctor": doctor.username}


def _frames(page) -> int:
    return int(page.locator("#video-remote").get_attribute("data-frames-decoded") or 0)


def _wait_frames_growing(page, label: str) -> tuple[int, int]:
    deadline = time.monotonic() + 30
    while _frames(page) < 10:
        assert time.monotonic() < deadline, f"{label}: no remote video decoded"
        page.wait_for_timeout(500)
    first = _frames(page)
    page.wait_for_timeout(4500)
    second = _frames(page)
    assert second > first + 10, f"{label}: framesDecoded did not grow ({first} → {second})"
    return first, second


def _state(page) -> str | None:
    """The connection state the page shows (the status line's data-state)."""
    return page.locator("#video-connection").get_attribute("data-state")


def db_room(live_server, case_id: int) -> str:
    """The media room of the case's video session."""
    from portal.extensions import db
    from portal.video.models import VideoSession

    with live_server.app.app_context():
        return db.session.scalars(
            db.select(VideoSession.room_id).filter_by(case_id=case_id)).one()


def media_client(live_server):
    """The portal's signed client of the media service."""
    from portal.video.media_client import client_for

    return client_for(live_server.app.config)


def _wait_until(check, label: str, seconds: float = 20) -> None:
    """Poll from Python (the pages' CSP forbids the string eval of wait_for_function)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting: {label}"
        time.sleep(0.25)


def _consent(page, name: str) -> None:
    dialog = page.locator("#video-consent-dialog")
    if not dialog.is_visible():
        page.locator("#video-consent-open").click()
    dialog.locator("#name").fill(name)
    dialog.locator("#agree").check()
    dialog.locator("button[type=submit]").click()
    dialog.wait_for(state="hidden", timeout=10000)


def test_doctor_and_guardian_hold_a_recorded_video_assessment(browser, live_server,
                                                              media_service, doctor_case):
    from portal.evidence.models import Evidence
    from portal.extensions import db, limiter
    from portal.storage import make_store
    from portal.video.models import VideoMedia, VideoSession

    case_id = doctor_case["case_id"]
    with live_server.app.app_context():
        limiter.reset()  # earlier browser tests logged in many times from this address
    doctor_ctx = browser.new_context(locale="zh-CN")
    guardian_ctx = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 740},
                                       has_touch=True)
    doctor, guardian = doctor_ctx.new_page(), guardian_ctx.new_page()
    try:
        log_in(doctor, live_server, doctor_case["doctor"])
        doctor.goto(f"{live_server}/t/mangshi/video/cases/{case_id}")
        when = (datetime.now(UTC) + timedelta(minutes=5)).astimezone(ZoneInfo("Asia/Shanghai"))
        doctor.locator("#scheduled_at").fill(when.strftime("%Y-%m-%dT%H:%M"))
        doctor.locator("form:has(#scheduled_at) button[type=submit]").click()
        doctor.wait_for_load_state("networkidle")
        join_url = doctor.locator("input.join-link").first.input_value()
        room_link = doctor.locator("a[href*='/video/']").filter(has_not_text="#").first
        doctor.goto(live_server + room_link.get_attribute("href"))
        assert doctor.locator("#video-room").get_attribute("data-role") == "doctor"

        guardian.goto(join_url.replace("http://localhost", live_server))
        guardian.locator("main form button[type=submit]").click()
        guardian.wait_for_url("**/room")
        assert guardian.locator("#video-waiting").is_visible()

        admit = doctor.locator("#video-admit-form button")
        admit.wait_for(state="visible", timeout=15000)
        admit.click()

        _wait_frames_growing(doctor, "doctor")
        _wait_frames_growing(guardian, "guardian")
        # The doctor's page says, from getStats(), whether the picture is good enough to judge.
        _wait_until(lambda: doctor.locator("#video-link").get_attribute("data-level")
                    in {"good", "fair", "poor"}, "the link's state on the doctor's page")
        assert doctor.locator("#video-link-words").text_content().startswith("画面")
        assert "往返延迟" in doctor.locator("#video-link-figures").text_content()

        guardian.locator("#video-consent-dialog").wait_for(state="visible", timeout=10000)
        _consent(guardian, "李家属")
        assert not doctor.locator("#video-recording").is_visible()
        _consent(doctor, "赵医生")
        for page in (doctor, guardian):
            page.locator("#video-recording").wait_for(state="visible", timeout=10000)

        doctor.locator("#video-snapshot-form button").click()
        _wait_until(lambda: doctor.locator("#video-notice").text_content(), "snapshot kept")
        doctor.wait_for_timeout(4000)  # a few seconds of recording

        # A weak link: the guardian switches to audio only. Their page offers again without
        # a camera, the doctor's picture stops while the call goes on; switching back
        # brings it back.
        audio_only = guardian.locator("#video-audio-only")
        audio_only.click()
        assert audio_only.get_attribute("aria-pressed") == "true"
        _wait_until(lambda: _state(guardian) == "connected", "audio-only offer answered")
        assert guardian.evaluate(
            "document.getElementById('video-local').srcObject.getVideoTracks().length") == 0
        doctor.wait_for_timeout(2500)  # frames in flight, and the 2-s stats refresh
        stalled = _frames(doctor)
        doctor.wait_for_timeout(4000)
        assert _frames(doctor) <= stalled + 2, "video still reaches the doctor"
        audio_only.click()
        assert audio_only.get_attribute("aria-pressed") == "false"
        _wait_frames_growing(doctor, "doctor after audio only")

        # The connection drops on the media side (as a network break would end it): the
        # guardian's page notices and offers again by itself, and the picture comes back.
        room = db_room(live_server, case_id)
        media_client(live_server).leave(room, "guardian")
        _wait_until(lambda: _state(guardian) in {"disconnected", "failed", "reconnecting",
                                                 "connecting", "closed"},
                    "the guardian's page notices the drop", 40)
        _wait_until(lambda: _state(guardian) == "connected", "the guardian's page reconnects", 60)
        _wait_frames_growing(doctor, "doctor after the guardian reconnected")
        doctor.on("dialog", lambda d: d.accept())
        doctor.locator("#video-end-form button").click()
        _wait_until(lambda: guardian.locator("#video-room").get_attribute("data-state")
                    == "ended", "the guardian's page sees the end", 30)
        # The stored recording (the browsers' own VP8 and Opus, remuxed) plays in the case's
        # evidence player of the doctor's Chromium, with the duration the service measured.
        # (First the doctor's page goes back to the case's sessions by itself.)
        doctor.wait_for_url("**/video/cases/**", timeout=15000)
        doctor.goto(f"{live_server}/t/mangshi/cases/{case_id}")
        player = doctor.locator("video.evidence-video").first
        _wait_until(lambda: player.evaluate("v => v.readyState") >= 1, "recording loads", 30)
        played = player.evaluate("""async (v) => {
          v.muted = true; v.playbackRate = 4; await v.play();
          await new Promise((ok) => setTimeout(ok, 1500));
          return {duration: v.duration, time: v.currentTime, width: v.videoWidth,
                  error: v.error && v.error.code}; }""")
    finally:
        doctor_ctx.close()
        guardian_ctx.close()

    app = live_server.app
    with app.app_context():
        vs = db.session.scalars(db.select(VideoSession).filter_by(case_id=case_id)).one()
        assert vs.state == "ended"
        rows = db.session.scalars(db.select(Evidence).filter_by(case_id=case_id)).all()
        kinds = sorted(e.kind for e in rows)
        assert kinds == ["recording", "snapshot"], kinds
        recording = next(e for e in rows if e.kind == "recording")
        measured = db.session.scalars(
            db.select(VideoMedia).filter_by(evidence_id=recording.id)).one()
        assert measured.video_frames and measured.video_frames > 30
        assert measured.duration_seconds and measured.duration_seconds > 3
        assert recording.content_type == "video/webm"
        assert played["error"] is None and played["width"] > 0 and played["time"] > 1, played
        assert abs(played["duration"] - measured.duration_seconds) <= 0.5, played
        from portal.audit.models import AuditEvent
        notes = db.session.scalars(db.select(AuditEvent).filter_by(
            action="video.link_quality", object_id=vs.id)).all()
        assert notes and notes[0].details["level"] in {"good", "fair", "poor"}
        store = make_store(app.config)
        with store.open(recording.object_key) as stored:
            digest = hashlib.sha256(stored.read()).hexdigest()
        assert digest == recording.sha256
    # Chromium's VP8 within the caps went from one browser to the other as it was sent,
    # both ways, without being re-encoded by the media service.
    log = media_service.log.read_text()
    for role in ("doctor", "guardian"):
        assert re.search(rf"{role}:\w+\] video out: forwarding \d+x\d+ VP8", log), log[-3000:]
    assert "video out: transcoding" not in log
