"""The pool of media nodes with fake nodes: placement, drain, heartbeats, a node that dies."""
from __future__ import annotations

import json
import secrets
import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from assessment_video.heartbeat import PATH, heartbeat_body
from assessment_video.signing import sign_headers
from portal.models_base import utcnow

from .conftest import SECRET, FakeMedia


@pytest.fixture
def nodes(app, monkeypatch):
    """Two fake media nodes, "a" and "b", named in MEDIA_NODES."""
    running = []
    for _ in range(3):
        fake = FakeMedia()
        server = make_server("127.0.0.1", 0, fake, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        fake.url = f"http://127.0.0.1:{server.server_port}"
        running.append((fake, server))
    a, b, c = (fake for fake, _ in running)
    monkeypatch.setitem(app.config, "MEDIA_NODES", f"a={a.url}, b={b.url}")
    monkeypatch.setitem(app.config, "MEDIA_SHARED_SECRET", SECRET)
    yield {"a": a, "b": b, "c": c}
    for _, server in running:
        server.shutdown()


def _session(video_case, db_session):
    from portal.video.models import VideoSession

    vs = VideoSession(township_id=video_case["township"].id, case_id=video_case["case"].id,
                      doctor_id=video_case["doctor"].id, room_id=secrets.token_urlsafe(12),
                      state="live", scheduled_at=utcnow(), join_nonce="n",
                      join_token_hash=secrets.token_hex(16),
                      join_expires_at=utcnow() + timedelta(hours=1), admitted_at=utcnow(),
                      media_node_url="")
    db_session.add(vs)
    db_session.flush()
    return vs


def _offer(vs, role="doctor"):
    from portal.video.services import forward_offer

    return forward_offer(vs, role=role, sdp="v=0", kind="offer", audio_only=False)


def _placed(fakes: dict, vs) -> str:
    return next(name for name, fake in fakes.items() if vs.room_id in fake.rooms)


def test_a_new_session_goes_to_the_least_loaded_healthy_node(nodes, video_case, db_session):
    sessions = [_session(video_case, db_session) for _ in range(4)]
    for vs in sessions:
        assert _offer(vs)["type"] == "answer"
    assert [_placed(nodes, vs) for vs in sessions] == ["a", "b", "a", "b"]
    assert [vs.media_node_url for vs in sessions] == [nodes[n].url for n in "abab"]
    # The other side's offer goes to the node the session is pinned to.
    _offer(sessions[1], role="guardian")
    assert [(c[0], c[2]["role"]) for c in nodes["b"].calls if c[1] == sessions[1].room_id] == [
        ("offer", "doctor"), ("offer", "guardian")]
    # An ended session no longer counts: "a" has one live session, "b" two.
    sessions[2].state, sessions[2].ended_at = "ended", utcnow()
    sessions[3].state = "ended"
    from portal.media_nodes.services import live_sessions

    assert live_sessions() == {nodes["a"].url: 1, nodes["b"].url: 1}
    fifth = _session(video_case, db_session)
    _offer(fifth)
    assert _placed(nodes, fifth) == "a"  # tie: the older node


def test_a_drained_node_takes_no_new_session_and_its_own_go_on(nodes, video_case, db_session,
                                                               runner):
    first = _session(video_case, db_session)
    _offer(first)
    assert _placed(nodes, first) == "a"
    drained = runner.invoke(args=["media", "drain", "a"])
    assert drained.exit_code == 0 and "drained" in drained.output
    later = [_session(video_case, db_session) for _ in range(3)]
    for vs in later:
        _offer(vs)
    assert {_placed(nodes, vs) for vs in later} == {"b"}
    _offer(first, role="guardian")  # the running session finishes on its node
    assert nodes["a"].actions().count("offer") == 2
    listing = runner.invoke(args=["media", "list"]).output
    assert "\tdrained\tsessions=1" in listing and "\tup\tsessions=3" in listing
    assert runner.invoke(args=["media", "undrain", nodes["a"].url]).exit_code == 0
    again = _session(video_case, db_session)
    _offer(again)
    assert _placed(nodes, again) == "a"
    unknown = runner.invoke(args=["media", "drain", "nowhere"])
    assert unknown.exit_code != 0 and "media_node_unknown" in unknown.output
    busy = runner.invoke(args=["media", "forget", "a"])
    assert busy.exit_code != 0 and "media_node_busy" in busy.output


def test_an_unreachable_node_is_skipped_and_marked_down(app, nodes, video_case, db_session,
                                                        monkeypatch):
    from portal.media_nodes.services import find_node

    monkeypatch.setitem(app.config, "MEDIA_NODES",
                        f"dead=http://127.0.0.1:9,b={nodes['b'].url}")
    vs = _session(video_case, db_session)
    _offer(vs)
    assert _placed(nodes, vs) == "b"
    dead = find_node("dead")
    assert dead.down_since is not None and dead.last_error
    # With every node gone, a new session is refused for now, untouched (nothing started).
    monkeypatch.setitem(app.config, "MEDIA_NODES", "dead=http://127.0.0.1:9")
    waiting = _session(video_case, db_session)
    from portal.refusals import Refused

    with pytest.raises(Refused) as refused:
        _offer(waiting)
    assert refused.value.code == "video_no_media_node" and refused.value.status == 503
    assert waiting.state == "live" and waiting.media_started_at is None


def _beat(client, name, url, rooms=0, secret=SECRET):
    config = {"MEDIA_NODE_NAME": name, "MEDIA_NODE_URL": url}
    body = heartbeat_body(config, rooms)
    return client.post(PATH, data=body, headers={**sign_headers(secret, "POST", PATH, body),
                                                  "Content-Type": "application/json"})


def test_heartbeats_register_a_node_and_are_signed(app, nodes, client, db_session):
    from portal.media_nodes.services import find_node

    assert _beat(client, "c", nodes["c"].url, rooms=2).get_json()["node"] == "c"
    node = find_node("c")
    assert node.source == "heartbeat" and node.rooms == 2 and node.last_seen_at is not None
    assert _beat(client, "x", nodes["c"].url, secret="another-secret-0123").status_code == 401
    body = json.dumps({"name": "c", "url": nodes["c"].url, "rooms": 1}).encode()
    assert client.post(PATH, data=body).status_code == 401  # unsigned
    assert _beat(client, "c", "ftp://elsewhere").status_code == 400
    assert _beat(client, "a", "http://127.0.0.1:7").status_code == 409  # a configured name


def test_a_node_whose_heartbeats_stop_is_taken_out_its_sessions_fail_cleanly(
        app, nodes, client, video_case, db_session, runner):
    """Silent for longer than MEDIA_NODE_STALE_SECONDS: no new session goes there, its live
    sessions end as interrupted with the case untouched, and when the node is back what it
    recorded becomes the case's evidence."""
    from portal.evidence.models import Evidence
    from portal.media_nodes.services import candidates, check_nodes, set_drained
    from portal.video.media_client import client_for

    _beat(client, "c", nodes["c"].url)
    for name in ("a", "b"):
        set_drained(_node(name), True)  # only the registered node takes the session
    vs = _session(video_case, db_session)
    _offer(vs)
    assert _placed(nodes, vs) == "c"
    client_for(app.config, vs.media_node_url).start_recording(
        vs.room_id, f"townships/{vs.township_id}/cases/{vs.case_id}/")
    vs.recording_started_at = utcnow()
    case_state = video_case["case"].state
    stale = utcnow() + timedelta(seconds=app.config["MEDIA_NODE_STALE_SECONDS"] + 1)
    assert [c.url for c in candidates(app.config, stale)] == []  # out of the pool
    results = {r.node: r for r in check_nodes(app.config, stale, poll=lambda url: {"rooms": 0})}
    assert not results["c"].healthy and results["c"].interrupted == 1
    db_session.refresh(vs)
    assert vs.state == "interrupted" and video_case["case"].state == case_state
    # The node is back (its spool kept the recording): the next check collects it.
    _beat(client, "c", nodes["c"].url)
    results = {r.node: r for r in check_nodes(app.config, poll=lambda url: {"rooms": 0})}
    assert results["c"].healthy and results["c"].recovered == 1
    db_session.refresh(vs)
    recording = db_session.get(Evidence, vs.recording_evidence_id)
    assert recording.kind == "recording" and recording.case_id == vs.case_id
    assert len(recording.sha256) == 64 and recording.size == 4000
    assert "recover" in nodes["c"].actions()


def _node(name):
    from flask import current_app

    from portal.media_nodes.services import find_node, sync_configured

    sync_configured(current_app.config)
    return find_node(name)


def test_a_configured_node_that_fails_its_check_interrupts_its_sessions(app, nodes, video_case,
                                                                        db_session):
    from portal.media_nodes.services import check_nodes

    vs = _session(video_case, db_session)
    _offer(vs)
    assert _placed(nodes, vs) == "a"

    def poll(url):
        if url == nodes["a"].url:
            raise OSError("connection refused")
        return {"ok": True, "rooms": 3}

    results = {r.node: r for r in check_nodes(app.config, poll=poll)}
    assert (results["a"].healthy, results["a"].interrupted) == (False, 1)
    assert (results["b"].healthy, results["b"].interrupted) == (True, 0)
    assert vs.state == "interrupted"
    assert _node("b").rooms == 3


def test_the_pool_gauges_per_node(app, nodes, video_case, db_session):
    from prometheus_client import generate_latest

    from portal.media_nodes.services import set_drained
    from portal.observability.metrics import registry_for

    _offer(_session(video_case, db_session))
    set_drained(_node("b"), True)
    text = generate_latest(registry_for(app)).decode()
    assert 'portal_media_sessions{node="a"} 1.0' in text
    assert 'portal_media_sessions{node="b"} 0.0' in text
    assert 'portal_media_node_drained{node="b"} 1.0' in text
    assert 'portal_media_node_up{node="a"} 1.0' in text


def test_the_job_workers_upkeep_checks_the_pool(app, nodes, db_session, monkeypatch):
    from portal.media_nodes import upkeep
    from portal.media_nodes.services import find_node

    monkeypatch.setitem(app.config, "MEDIA_NODES", "dead=http://127.0.0.1:9")
    monkeypatch.setitem(app.config, "MEDIA_CHECK_SECONDS", 60)
    monkeypatch.setitem(upkeep._LAST, "at", float("-inf"))
    upkeep.scheduled_check()
    assert find_node("dead").down_since is not None
    assert upkeep._LAST["at"] > float("-inf")
