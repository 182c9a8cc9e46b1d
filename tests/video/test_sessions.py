"""Video sessions on the portal side, against a fake media service that checks signatures."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import CSRF_RE, csrf_token
from tests.video.conftest import local_input, soon


def fresh(obj):
    """The object as the requests left it (each request ran in its own session)."""
    from portal.extensions import db

    db.session.expire_all()
    return obj


def _token(client, url=None) -> str:
    if url is None:
        return csrf_token(client)
    page = client.get(url).get_data(as_text=True)
    return CSRF_RE.search(page).group(1)


def _schedule(client, post, case, when=None):
    from portal.video.models import VideoSession

    code = case.township.code if hasattr(case, "township") else None
    response = post(f"/t/{code}/video/cases/{case.id}",
                    {"scheduled_at": local_input(when or soon())})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    from portal.extensions import db

    return db.session.scalars(
        select(VideoSession).where(VideoSession.case_id == case.id)
        .order_by(VideoSession.id.desc())).first()


@pytest.fixture
def world(video_case, db_session):
    from portal.reference.models import Township

    case = video_case["case"]
    case.township = db_session.get(Township, case.township_id)
    video_case["code"] = case.township.code
    return video_case


@pytest.fixture
def guardian(app):
    """A second browser: the guardian's phone, without an account."""
    return app.test_client()


def _join_path(client, code, vs) -> str:
    """The join link of session `vs` as the doctor's page shows it (a case may list several)."""
    page = client.get(f"/t/{code}/video/cases/{vs.case_id}").get_data(as_text=True)
    match = re.search(rf'id="join-link-{vs.id}"[^>]*value="http://localhost(/join/[A-Za-z0-9_-]+)"',
                      page)
    assert match, "the doctor's page shows the guardian's join link"
    return match.group(1)


def _guardian_enters(guardian, path):
    token = _token(guardian, path)
    response = guardian.post(path, data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    return response.headers["Location"], token


def _json_post(client, url, token, payload=None):
    return client.post(url, json=payload or {}, headers={"X-CSRFToken": token,
                                                         "Accept": "application/json"})


def _offer(client, url, token):
    return _json_post(client, url, token, {"sdp": "v=0 offer", "type": "offer",
                                           "audio_only": False})


def test_doctor_schedules_and_the_link_works_once(world, client, login_as, post, guardian,
                                                  media):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    assert fresh(vs).state == "scheduled" and len(vs.room_id) >= 32
    path = _join_path(client, world["code"], vs)
    assert fresh(vs).join_token_hash not in path  # only the hash is stored

    landing = guardian.get(path)
    assert landing.status_code == 200 and "csrf-token" in landing.get_data(as_text=True)
    room_url, _ = _guardian_enters(guardian, path)
    assert room_url.endswith(f"/join/{vs.id}/room")
    assert guardian.get(room_url).status_code == 200
    assert fresh(vs).state == "waiting" and vs.join_used_at is not None
    # The same phone may open its link again; another browser finds it spent.
    assert guardian.get(path).status_code == 200
    stranger = guardian.application.test_client()
    spent = stranger.get(path)
    assert spent.status_code == 410
    assert "already been opened" in spent.get_data(as_text=True) or spent.status_code == 410
    assert stranger.get(room_url).status_code == 404


def test_link_outside_its_window_explains_itself(world, client, login_as, post, guardian,
                                                  media, db_session):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"], when=datetime.now(UTC) + timedelta(days=2))
    path = _join_path(client, world["code"], vs)
    early = guardian.get(path, headers={"Accept-Language": "en"})
    assert early.status_code == 200 and "opens 30 minutes before" in early.get_data(as_text=True)
    assert guardian.post(path, data={"csrf_token": _token(guardian, path)}).status_code == 200
    assert fresh(vs).join_used_at is None  # nothing spent before the window
    fresh(vs).scheduled_at = datetime.now(UTC) - timedelta(hours=3)
    vs.join_expires_at = vs.scheduled_at + timedelta(hours=2)
    db_session.flush()
    late = guardian.get(path, headers={"Accept-Language": "en"})
    assert late.status_code == 410 and "expired" in late.get_data(as_text=True)
    unknown = guardian.get("/join/not-a-real-token", headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and "not valid" in unknown.get_data(as_text=True)


def test_only_the_cases_doctor_reaches_the_room(world, client, login_as, post, media):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    code = world["code"]
    login_as(world["other_doctor"])
    token = _token(client)
    assert client.get(f"/t/{code}/video/{vs.id}").status_code == 404
    assert _offer(client, f"/t/{code}/video/{vs.id}/offer", token).status_code == 404
    assert client.post(f"/t/{code}/video/cases/{world['case'].id}",
                       data={"csrf_token": token}).status_code == 404
    # Staff of the township see the session's summary but cannot act in the room.
    login_as(world["staff"])
    token = _token(client)
    summary = client.get(f"/t/{code}/video/{vs.id}")
    assert summary.status_code == 200 and "video-room" not in summary.get_data(as_text=True)
    assert _offer(client, f"/t/{code}/video/{vs.id}/offer", token).status_code == 403
    assert media.calls == []


def test_guardian_cookie_reaches_only_its_session(world, client, login_as, post, guardian,
                                                  media):
    login_as(world["doctor"])
    first = _schedule(client, post, world["case"])
    # Later than the first, so the page lists it first (newest appointment on top).
    second = _schedule(client, post, world["case"], when=soon() + timedelta(minutes=5))
    _guardian_enters(guardian, _join_path(client, world["code"], first))
    token = _token(guardian, f"/join/{first.id}/room")
    assert guardian.get(f"/join/{second.id}/room").status_code == 404
    assert _offer(guardian, f"/join/{second.id}/offer", token).status_code == 404
    assert _json_post(guardian, f"/join/{second.id}/consent", token).status_code == 404
    assert guardian.get(f"/join/{second.id}/status").status_code == 404
    # A new link for the first session cuts off the browser the old one was opened on.
    post(f"/t/{world['code']}/video/{first.id}/link")
    assert guardian.get(f"/join/{first.id}/room").status_code == 404


def test_guardian_waits_until_admitted_then_signals_through_the_portal(
        world, client, login_as, post, guardian, media):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    code = world["code"]
    _guardian_enters(guardian, _join_path(client, code, vs))
    gtoken = _token(guardian, f"/join/{vs.id}/room")
    waiting = _offer(guardian, f"/join/{vs.id}/offer", gtoken)
    assert waiting.status_code == 409 and waiting.get_json()["error"] == "video_not_admitted"
    assert guardian.get(f"/join/{vs.id}/status").get_json()["admitted"] is False

    dtoken = _token(client)
    doctor_answer = _offer(client, f"/t/{code}/video/{vs.id}/offer", dtoken)
    assert doctor_answer.get_json() == {"sdp": "v=0 answer for doctor", "type": "answer"}
    status = client.get(f"/t/{code}/video/{vs.id}/status").get_json()
    assert status["guardian_arrived"] and not status["admitted"]
    assert post(f"/t/{code}/video/{vs.id}/admit").status_code == 302
    answer = _offer(guardian, f"/join/{vs.id}/offer", gtoken)
    assert answer.status_code == 200 and answer.get_json()["sdp"] == "v=0 answer for guardian"
    assert fresh(vs).state == "live"
    assert [c[:2] for c in media.calls if c[0] == "offer"] == [
        ("offer", vs.room_id), ("offer", vs.room_id)]
    assert [c[2]["role"] for c in media.calls if c[0] == "offer"] == ["doctor", "guardian"]
    assert media.refused == []
    # Leaving does not end the session; the guardian comes back with a new offer.
    left = guardian.post(f"/join/{vs.id}/leave", data={"csrf_token": gtoken})
    assert left.status_code == 302 and fresh(vs).state == "live"
    assert _offer(guardian, f"/join/{vs.id}/offer", gtoken).status_code == 200


def _live_session(world, client, login_as, post, guardian):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    code = world["code"]
    _guardian_enters(guardian, _join_path(client, code, vs))
    gtoken = _token(guardian, f"/join/{vs.id}/room")
    dtoken = _token(client)
    _offer(client, f"/t/{code}/video/{vs.id}/offer", dtoken)
    post(f"/t/{code}/video/{vs.id}/admit")
    _offer(guardian, f"/join/{vs.id}/offer", gtoken)
    return vs, code, gtoken, dtoken


def test_recording_starts_only_after_both_consents(world, client, login_as, post, guardian,
                                                  media):
    vs, code, gtoken, dtoken = _live_session(world, client, login_as, post, guardian)
    refused = guardian.post(f"/join/{vs.id}/consent", data={"csrf_token": gtoken, "name": ""},
                            headers={"Accept": "application/json"})
    assert refused.status_code == 400 and set(refused.get_json()["fields"]) == {"name", "agree"}
    doctor = client.post(f"/t/{code}/video/{vs.id}/consent",
                         data={"csrf_token": dtoken, "name": "赵医生", "agree": "y"},
                         headers={"Accept": "application/json"})
    assert doctor.status_code == 200
    assert "recording/start" not in media.actions()
    assert client.get(f"/t/{code}/video/{vs.id}/status").get_json()["recording"] is False
    given = guardian.post(f"/join/{vs.id}/consent",
                          data={"csrf_token": gtoken, "name": "李家属", "agree": "y"},
                          headers={"Accept": "application/json"})
    assert given.status_code == 200
    assert media.actions().count("recording/start") == 1
    start = next(c for c in media.calls if c[0] == "recording/start")
    assert start[2] == {"key_prefix": f"townships/{vs.township_id}/cases/{vs.case_id}/"}
    consents = {c.party: c for c in fresh(vs).consents}
    assert consents["guardian"].name_typed == "李家属" and consents["doctor"].given_at
    for who, url in ((client, f"/t/{code}/video/{vs.id}/status"),
                     (guardian, f"/join/{vs.id}/status")):
        assert who.get(url).get_json()["recording"] is True


def test_snapshot_and_end_leave_evidence_with_sha256(world, client, login_as, post, guardian,
                                                    media):
    from portal.evidence.models import Evidence
    from portal.extensions import db
    from portal.video.models import VideoMedia

    vs, code, gtoken, dtoken = _live_session(world, client, login_as, post, guardian)
    for party, who, url, token in (
            ("doctor", client, f"/t/{code}/video/{vs.id}/consent", dtoken),
            ("guardian", guardian, f"/join/{vs.id}/consent", gtoken)):
        who.post(url, data={"csrf_token": token, "name": party, "agree": "y"})
    shot = _json_post(client, f"/t/{code}/video/{vs.id}/snapshot", dtoken)
    assert shot.status_code == 200
    ended = _json_post(client, f"/t/{code}/video/{vs.id}/end", dtoken)
    assert ended.status_code == 200, ended.get_data(as_text=True)
    assert fresh(vs).state == "ended"
    rows = db.session.scalars(select(Evidence).where(Evidence.case_id == vs.case_id)
                              .order_by(Evidence.id)).all()
    assert [e.kind for e in rows] == ["snapshot", "recording"]  # no duplicate snapshot
    room = media.calls
    answers = [c for c in room if c[0] == "end"]
    assert answers, "the portal asked the media service to end the room"
    recording = rows[1]
    assert recording.content_type == "video/webm" and len(recording.sha256) == 64
    assert recording.original_filename == f"recording-{vs.id}.webm"
    assert recording.object_key.startswith(f"townships/{vs.township_id}/cases/{vs.case_id}/")
    measured = db.session.scalars(select(VideoMedia).where(
        VideoMedia.evidence_id == recording.id)).one()
    assert (measured.duration_seconds, measured.video_frames) == (12.4, 186)
    assert fresh(vs).recording_evidence_id == recording.id
    page = client.get(f"/t/{code}/video/cases/{vs.case_id}").get_data(as_text=True)
    assert recording.sha256 in page
    for url in (f"/t/{code}/assessments/{vs.case_id}", f"/t/{code}/assessments/{vs.case_id}/new"):
        assessment_page = client.get(url).get_data(as_text=True)
        assert recording.sha256 in assessment_page and rows[0].sha256 in assessment_page, url
    # The guardian's page learns the session is over; the link is spent for good.
    assert guardian.get(f"/join/{vs.id}/status").get_json()["state"] == "ended"
    assert _offer(guardian, f"/join/{vs.id}/offer", gtoken).status_code == 409


def test_media_service_down_interrupts_and_recovery_keeps_the_recording(
        world, client, login_as, post, guardian, media, app, monkeypatch):
    from portal.evidence.models import Evidence
    from portal.extensions import db

    vs, code, gtoken, dtoken = _live_session(world, client, login_as, post, guardian)
    for who, url, token in ((client, f"/t/{code}/video/{vs.id}/consent", dtoken),
                            (guardian, f"/join/{vs.id}/consent", gtoken)):
        who.post(url, data={"csrf_token": token, "name": "x", "agree": "y"})
    good_url = fresh(vs).media_node_url
    vs.media_node_url = "http://127.0.0.1:9"  # nothing listens: the service is gone
    db.session.flush()
    down = _offer(client, f"/t/{code}/video/{vs.id}/offer", dtoken)
    assert down.status_code == 503 and down.get_json()["error"] == "video_media_unavailable"
    assert fresh(vs).state == "interrupted"
    assert guardian.get(f"/join/{vs.id}/status").get_json()["state"] == "interrupted"
    fresh(vs).media_node_url = good_url  # the service came back with the spooled recording
    db.session.flush()
    assert post(f"/t/{code}/video/{vs.id}/recover").status_code == 302
    kinds = db.session.scalars(select(Evidence.kind).where(Evidence.case_id == vs.case_id)).all()
    assert kinds == ["recording"]
    assert fresh(vs).state == "interrupted" and vs.ended_at is not None


def test_status_poll_notices_a_restarted_media_service(world, client, login_as, post, guardian,
                                                       media):
    vs = _live_session(world, client, login_as, post, guardian)[0]
    media.rooms.clear()  # a restarted service knows no rooms
    status = guardian.get(f"/join/{vs.id}/status").get_json()
    assert status["state"] == "interrupted"


def test_unconfigured_secret_is_an_interruption_not_a_crash(world, client, login_as, post,
                                                            media, monkeypatch, app):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    monkeypatch.setitem(app.config, "MEDIA_SHARED_SECRET", None)
    answer = _offer(client, f"/t/{world['code']}/video/{vs.id}/offer", _token(client))
    assert answer.status_code == 503 and media.calls == []


def test_room_page_gives_the_browser_its_ice_servers(world, client, login_as, post, media,
                                                     monkeypatch, app):
    monkeypatch.setitem(app.config, "VIDEO_ICE_SERVERS",
                        '[{"urls": "turn:turn.example.org:3478", "username": "u", '
                        '"credential": "p"}]')
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    page = client.get(f"/t/{world['code']}/video/{vs.id}").get_data(as_text=True)
    assert "turn:turn.example.org:3478" in page and "js/video.js" in page
    assert "<script>" not in page
