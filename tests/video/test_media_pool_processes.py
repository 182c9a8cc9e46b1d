"""Two real media service processes (`python -m assessment_video`) in the portal's pool:
sessions spread over both, a drained node takes no new session, a killed node's sessions end
as interrupted with their cases untouched. The processes start once for the module."""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from portal.models_base import utcnow

from .conftest import SECRET

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _rooms(url: str) -> int:
    with urllib.request.urlopen(url + "/healthz", timeout=2) as answer:
        return json.loads(answer.read())["rooms"]


class Node:
    def __init__(self, name: str, spool: Path):
        self.name, self.spool, self.port = name, spool, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, **extra: str) -> None:
        env = {**os.environ, "MEDIA_SHARED_SECRET": SECRET, "MEDIA_ICE_SERVERS": "[]",
               "MEDIA_SPOOL_DIR": str(self.spool / "spool"), "EVIDENCE_BACKEND": "local",
               "EVIDENCE_DIR": str(self.spool / "evidence"), **extra}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assessment_video", "--host", "127.0.0.1",
             "--port", str(self.port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)

    def wait(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                _rooms(self.url)
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.1)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture(scope="module")
def media_nodes(tmp_path_factory):
    nodes = [Node(name, tmp_path_factory.mktemp(f"node-{name}")) for name in ("n1", "n2")]
    for node in nodes:
        node.start()
    try:
        for node in nodes:
            node.wait()
        yield nodes
    finally:
        for node in nodes:
            if node.process and node.process.poll() is None:
                node.process.terminate()
                node.process.wait(10)


@pytest.fixture(scope="module")
def browser_offer():
    """One real SDP offer made by aiortc (each room answers it with its own peer)."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    from tests.video_media.harness import run_async

    async def make() -> str:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.addTransceiver("audio", direction="sendrecv")
        pc.addTransceiver("video", direction="sendrecv")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        await pc.close()
        return sdp

    return run_async(make(), 30)


@pytest.fixture
def pool(app, media_nodes, monkeypatch):
    monkeypatch.setitem(app.config, "MEDIA_NODES",
                        ",".join(f"{n.name}={n.url}" for n in media_nodes))
    monkeypatch.setitem(app.config, "MEDIA_SHARED_SECRET", SECRET)
    return {n.name: n for n in media_nodes}


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


def _offer(vs, sdp):
    from portal.video.services import forward_offer

    answer = forward_offer(vs, role="doctor", sdp=sdp, kind="offer", audio_only=False)
    assert answer["type"] == "answer" and "a=candidate" in answer["sdp"]
    return vs.media_node_url


def _end_all(sessions, db_session):
    from flask import current_app

    from portal.video.media_client import client_for
    from portal.video.services import end_session

    for vs in sessions:
        if vs.state in ("live", "waiting", "scheduled"):
            end_session(vs, actor=None, client=client_for(current_app.config, vs.media_node_url))
    db_session.flush()


def test_sessions_spread_over_two_nodes_and_a_drained_node_takes_none(
        pool, browser_offer, video_case, db_session, runner):
    n1, n2 = pool["n1"], pool["n2"]
    before = {n.name: _rooms(n.url) for n in (n1, n2)}
    sessions = [_session(video_case, db_session) for _ in range(4)]
    placed = [_offer(vs, browser_offer) for vs in sessions]
    assert placed == [n1.url, n2.url, n1.url, n2.url]
    assert {n.name: _rooms(n.url) - before[n.name] for n in (n1, n2)} == {"n1": 2, "n2": 2}

    assert runner.invoke(args=["media", "drain", "n1"]).exit_code == 0
    more = [_session(video_case, db_session) for _ in range(2)]
    assert [_offer(vs, browser_offer) for vs in more] == [n2.url, n2.url]
    assert {n.name: _rooms(n.url) - before[n.name] for n in (n1, n2)} == {"n1": 2, "n2": 4}
    checked = runner.invoke(args=["media", "check"])
    assert checked.exit_code == 0
    assert "n1\tup\tinterrupted=0" in checked.output and "n2\tup\tinterrupted=0" in checked.output
    listing = runner.invoke(args=["media", "list"]).output
    assert f"n1\t{n1.url}\tdrained\tsessions=2" in listing
    assert f"n2\t{n2.url}\tup\tsessions=4" in listing
    _end_all(sessions + more, db_session)
    assert {n.name: _rooms(n.url) for n in (n1, n2)} == before


def test_a_killed_node_fails_its_sessions_cleanly(pool, browser_offer, video_case, db_session,
                                                  runner):
    from flask import current_app

    from portal.media_nodes.services import candidates

    n1, n2 = pool["n1"], pool["n2"]
    sessions = [_session(video_case, db_session) for _ in range(2)]
    placed = [_offer(vs, browser_offer) for vs in sessions]
    on_n2 = next(vs for vs, url in zip(sessions, placed, strict=True) if url == n2.url)
    case_state = video_case["case"].state
    n2.kill()
    try:
        checked = runner.invoke(args=["media", "check"])
        assert "n2\tdown\tinterrupted=1" in checked.output, checked.output
        db_session.refresh(on_n2)
        assert on_n2.state == "interrupted" and video_case["case"].state == case_state
        assert [n.url for n in candidates(current_app.config)][:1] == [n1.url]
        # A new session goes to the node that is left.
        assert _offer(_session(video_case, db_session), browser_offer) == n1.url
    finally:
        n2.start()  # the next database's run of this module uses it again
        n2.wait()
    checked = runner.invoke(args=["media", "check"])
    assert "n2\tup" in checked.output
    _end_all(sessions, db_session)


class Receiver:
    """Stands in for the portal's address on the network: keeps each heartbeat as sent (body
    and signed headers), to hand it to the portal under test."""

    def __init__(self):
        from werkzeug.serving import make_server

        self.beats: list[tuple[str, bytes, dict]] = []
        self.server = make_server("127.0.0.1", 0, self, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __call__(self, environ, start_response):
        from werkzeug.wrappers import Request, Response

        request = Request(environ)
        self.beats.append((request.path, request.get_data(), dict(request.headers)))
        return Response("{}", 200, content_type="application/json")(environ, start_response)


def test_a_node_registers_by_its_own_heartbeats_and_drops_out_when_they_stop(
        app, pool, browser_offer, video_case, db_session, client, runner, tmp_path):
    from flask import current_app

    from portal.media_nodes.services import candidates, check_nodes, set_drained

    receiver = Receiver()
    n3 = Node("n3", tmp_path)
    n3.start(MEDIA_PORTAL_URL=receiver.url, MEDIA_NODE_NAME="n3", MEDIA_NODE_URL=f"{n3.url}",
             MEDIA_HEARTBEAT_SECONDS="0.2")
    try:
        n3.wait()
        deadline = time.monotonic() + 10
        while len(receiver.beats) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        path, body, headers = receiver.beats[-1]
        assert path == "/media/heartbeat" and json.loads(body) == {
            "name": "n3", "url": n3.url, "rooms": 0}
        answer = client.post(path, data=body, headers={
            k: v for k, v in headers.items() if k.lower().startswith(("x-media", "content-t"))})
        assert answer.status_code == 200 and answer.get_json()["node"] == "n3"
        for name in ("n1", "n2"):
            runner.invoke(args=["media", "drain", name])
        vs = _session(video_case, db_session)
        assert _offer(vs, browser_offer) == n3.url
        _end_all([vs], db_session)
        n3.kill()
        beats = len(receiver.beats)
        time.sleep(0.5)
        assert len(receiver.beats) == beats  # a dead node sends nothing
        later = utcnow() + timedelta(seconds=current_app.config["MEDIA_NODE_STALE_SECONDS"] + 1)
        assert n3.url not in [n.url for n in candidates(current_app.config, later)]
        results = {r.node: r.healthy for r in check_nodes(current_app.config, later)}
        assert results["n3"] is False
    finally:
        n3.kill()
        receiver.server.shutdown()
        for name in ("n1", "n2"):
            from portal.media_nodes.services import find_node

            set_drained(find_node(name), False)
