"""The doctor's page measures the link (getStats) and each change of its class is noted in the
session's log; only the case's doctor can note it, and only what a measure looks like."""
from __future__ import annotations

from sqlalchemy import select

from tests.video import test_sessions as sessions
from tests.video.test_sessions import _json_post, _live_session, _schedule, _token

world, guardian = sessions.world, sessions.guardian  # the fixtures of the session tests


def _notes(vs) -> list[dict]:
    from portal.audit.models import AuditEvent
    from portal.extensions import db

    return [e.details for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "video.link_quality",
                                 AuditEvent.object_id == vs.id).order_by(AuditEvent.seq))]


def test_the_doctors_page_shows_the_link_and_notes_its_changes(world, client, login_as, post,
                                                              guardian, media):
    vs, code, _gtoken, dtoken = _live_session(world, client, login_as, post, guardian)
    shown = client.get(f"/t/{code}/video/{vs.id}")
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200, page[-2000:]
    assert 'id="video-link"' in page and f"/t/{code}/video/{vs.id}/link-quality" in page
    assert "画面较差，不宜据此评定" in page  # the words the page shows when the picture is poor
    url = f"/t/{code}/video/{vs.id}/link-quality"
    good = {"level": "good", "rtt_ms": 80, "loss_pct": 0.4, "width": 640, "height": 480,
            "fps": 15}
    poor = {"level": "poor", "rtt_ms": 720, "loss_pct": 12.5, "width": 320, "height": 180,
            "fps": 4}
    assert _json_post(client, url, dtoken, good).status_code == 200
    answer = _json_post(client, url, dtoken, poor)
    assert answer.status_code == 200 and answer.get_json()["note"]["level"] == "poor"
    assert _notes(vs) == [good | {"rtt_ms": 80.0, "loss_pct": 0.4, "width": 640.0,
                                  "height": 480.0, "fps": 15.0},
                          {"level": "poor", "rtt_ms": 720.0, "loss_pct": 12.5, "width": 320.0,
                           "height": 180.0, "fps": 4.0}]


def test_a_note_that_is_not_a_measure_is_refused_and_nothing_is_kept(world, client, login_as,
                                                                    post, guardian, media):
    vs, code, _gtoken, dtoken = _live_session(world, client, login_as, post, guardian)
    url = f"/t/{code}/video/{vs.id}/link-quality"
    for bad in ({"level": "excellent"}, {"level": "poor", "rtt_ms": -5},
                {"level": "poor", "loss_pct": "lots"}, {"level": "good", "fps": True}, {}):
        refused = _json_post(client, url, dtoken, bad)
        assert refused.status_code == 400, bad
        assert refused.get_json()["error"] == "video_link_note_invalid"
    assert _notes(vs) == []


def test_only_the_cases_doctor_notes_the_link_of_a_session_in_progress(world, client, login_as,
                                                                      post, guardian, media):
    login_as(world["doctor"])
    vs = _schedule(client, post, world["case"])
    code = world["code"]
    url = f"/t/{code}/video/{vs.id}/link-quality"
    note = {"level": "fair", "rtt_ms": 350}
    scheduled = _json_post(client, url, _token(client), note)
    assert scheduled.status_code == 200  # scheduled is an active state: the page may measure
    login_as(world["staff"])
    assert _json_post(client, url, _token(client), note).status_code == 403
    login_as(world["other_doctor"])
    assert _json_post(client, url, _token(client), note).status_code == 404
    assert len(_notes(vs)) == 1
