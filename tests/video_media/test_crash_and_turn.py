"""Crash safety (the service killed mid-recording) and a relay-only connection through TURN."""
from __future__ import annotations

import asyncio
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
from pathlib import Path

import aiohttp
import av
import pytest

from portal.storage import make_store

from .harness import SECRET, Portal, media_config, run_async, running_service
from .recordings import check_with_ffprobe
from .synthetic import MediaClient, wait_for

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "townships/5/cases/9/"


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nobody listens on right now."""
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(tmp_path: Path, port: int) -> subprocess.Popen:
    """`python -m assessment_video` as production runs it, configured by environment."""
    env = {**os.environ, "MEDIA_SHARED_SECRET": SECRET, "MEDIA_ICE_SERVERS": "[]",
           "MEDIA_SPOOL_DIR": str(tmp_path / "spool"), "EVIDENCE_BACKEND": "local",
           "EVIDENCE_DIR": str(tmp_path / "evidence")}
    return subprocess.Popen(
        [sys.executable, "-m", "assessment_video", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def wait_healthy(session: aiohttp.ClientSession, base: str, timeout: float = 15) -> None:
    """Until /healthz answers."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with session.get(base + "/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientConnectionError:
            if time.monotonic() > deadline:
                raise
        await asyncio.sleep(0.1)


def test_killed_service_leaves_a_playable_partial_recording(tmp_path):
    """SIGKILL mid-recording; the next process's /recover stores the part recorded so far."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    room = "crash-room-1"

    async def body():
        first = start_service(tmp_path, port)
        try:
            async with aiohttp.ClientSession() as session:
                portal = Portal(session, base)
                await wait_healthy(session, base)
                doctor, guardian = MediaClient("doctor"), MediaClient("guardian")
                try:
                    await doctor.connect(portal.post, room)
                    await guardian.connect(portal.post, room)
                    assert await wait_for(lambda: doctor.received["video"] > 5, 15)
                    status, _ = await portal.post(f"/rooms/{room}/recording/start",
                                                  {"key_prefix": PREFIX})
                    assert status == 200
                    await asyncio.sleep(5)
                    first.send_signal(signal.SIGKILL)
                    first.wait(10)
                finally:
                    await doctor.close()
                    await guardian.close()
        finally:
            first.kill()
        second = start_service(tmp_path, port)
        try:
            async with aiohttp.ClientSession() as session:
                portal = Portal(session, base)
                await wait_healthy(session, base)
                status, missing = await portal.post("/rooms/never-recorded/recover", {})
                assert status == 404, missing
                status, recovered = await portal.post(f"/rooms/{room}/recover", {})
                assert status == 200, recovered
                status, again = await portal.post(f"/rooms/{room}/recover", {})
                assert (status, again) == (200, recovered)  # idempotent
        finally:
            second.terminate()
            second.wait(10)
        return recovered

    recovered = run_async(body(), 60)
    recording = recovered["recording"]
    assert recording["key"].startswith(PREFIX) and recording["content_type"] == "video/webm"
    with make_store({"EVIDENCE_BACKEND": "local",
                     "EVIDENCE_DIR": str(tmp_path / "evidence")}).open(recording["key"]) as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == recording["sha256"]
    frames = 0
    with av.open(io.BytesIO(data)) as container:
        for _frame in container.decode(video=0):
            frames += 1
    assert frames == recording["video_frames"] >= 10
    assert 1.0 <= recording["duration_seconds"] <= 6.0
    assert not list((tmp_path / "spool").glob("*.webm"))  # uploaded, not kept twice
    # Repaired: cues and a duration, as if it had been closed.
    check_with_ffprobe(data, tmp_path, recording["duration_seconds"], frames, tolerance=0.1)


def _wait_for_stun(port: int, timeout: float = 15.0) -> None:
    """Wait until a STUN Binding request to 127.0.0.1:`port` is answered (the server is up).

    A fixed pause was not enough on a busy machine: the client's allocation then failed and
    its offer carried no relay candidate.
    """
    request = struct.pack("!HHI12s", 0x0001, 0, 0x2112A442, os.urandom(12))
    deadline = time.monotonic() + timeout
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            sock.sendto(request, ("127.0.0.1", port))
            try:
                answer, _ = sock.recvfrom(2048)
            except TimeoutError:
                continue
            if answer[:2] == b"\x01\x01" and answer[8:20] == request[8:20]:
                return
    raise TimeoutError


@pytest.fixture
def coturn(tmp_path):
    """coturn on loopback with one long-term credential (test settings, never production)."""
    binary = shutil.which("turnserver")
    if binary is None:
        pytest.skip("coturn is not installed (apt-get install -y coturn)")
    port = free_port(socket.SOCK_DGRAM)
    process = subprocess.Popen([
        binary, "-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1",
        f"--listening-port={port}", "--lt-cred-mech", "--user=media:turn-pass",
        "--realm=test", "--no-tls", "--no-dtls", "--no-cli", "--fingerprint",
        "--min-port=49160", "--max-port=49300", "--allow-loopback-peers",
        f"--userdb={tmp_path / 'turndb'}", f"--pidfile={tmp_path / 'turn.pid'}",
        "--log-file=stdout"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_stun(port)
    except TimeoutError:
        process.kill()
        pytest.fail("coturn did not answer on its port")
    yield {"urls": f"turn:127.0.0.1:{port}", "username": "media", "credential": "turn-pass"}
    process.terminate()
    process.wait(10)


def test_relay_only_client_connects_through_turn(tmp_path, coturn):
    """A guardian allowed only TURN relay candidates still gets media both ways."""
    config = media_config(tmp_path, MEDIA_ICE_SERVERS=json.dumps([coturn]))

    async def body():
        async with running_service(config) as (portal, _app):
            doctor = MediaClient("doctor", ice_servers=[coturn])
            guardian = MediaClient("guardian", ice_servers=[coturn], relay_only=True)
            try:
                await doctor.connect(portal.post, "turn-room")
                await guardian.connect(portal.post, "turn-room")
                offer = guardian.pc.localDescription.sdp
                types = {line.split(" typ ")[1].split()[0] for line in offer.splitlines()
                         if line.startswith("a=candidate:")}
                assert types == {"relay"}
                assert await wait_for(lambda: guardian.received["video"] > 10
                                      and doctor.received["video"] > 10, 20)
                assert guardian.pc.connectionState == "connected"
            finally:
                await doctor.close()
                await guardian.close()

    run_async(body(), 60)
