"""The media service end to end: relay both ways, recording, snapshots, rejoin, audio only."""
from __future__ import annotations

import asyncio
import hashlib
import io
import time

import av
import pytest

from assessment_video.app import REGISTRY
from portal.storage import make_store

from .harness import media_config, run_async, running_service
from .recordings import check_with_ffprobe
from .synthetic import MediaClient, wait_for

ROOM = "r0om-Test_1"
PREFIX = "townships/3/cases/17/"


def run(coro):
    """Run one async test body on a fresh loop."""
    return run_async(coro, timeout=60)


def decode(data: bytes) -> dict:
    """Frames, duration and audio of a recording held in memory, by decoding it fully."""
    frames = 0
    last = 0.0
    with av.open(io.BytesIO(data)) as container:
        audio = any(s.type == "audio" for s in container.streams)
        for frame in container.decode(video=0):
            frames += 1
            last = max(last, float(frame.time or 0.0))
    return {"frames": frames, "last": last, "audio": audio}


def test_two_way_relay_recording_and_snapshot(tmp_path):
    """Frames flow both ways; the stored recording and snapshot decode and match their hashes."""
    config = media_config(tmp_path)

    async def body():
        async with running_service(config) as (portal, app):
            doctor, guardian = MediaClient("doctor"), MediaClient("guardian", width=800, height=600)
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: doctor.received["video"] > 10
                                      and guardian.received["video"] > 10, 15)
                assert doctor.received["audio"] > 10 and guardian.received["audio"] > 10
                # 800×600 from the guardian is capped to 640×480 on its way to the doctor.
                assert max(w for w, _ in doctor.sizes) <= 640
                status, room_state = await portal.request("GET", f"/rooms/{ROOM}")
                assert room_state == {"peers": {"doctor": "connected", "guardian": "connected"},
                                      "recording": False}

                status, snap = await portal.post(f"/rooms/{ROOM}/snapshot", {"key_prefix": PREFIX})
                assert status == 200, snap
                assert snap["content_type"] == "image/jpeg" and snap["key"].startswith(PREFIX)
                assert (snap["width"], snap["height"]) == (640, 480)

                status, answer = await portal.post(f"/rooms/{ROOM}/recording/start",
                                                   {"key_prefix": PREFIX})
                assert (status, answer) == (200, {"recording": True})
                started = time.monotonic()
                # Record until the recorder holds enough pictures to judge, however busy the
                # machine: a fixed four seconds held fewer than 20 when two test workers and
                # both synthetic cameras shared two cores with the service.
                room = app[REGISTRY].get(ROOM)
                assert await wait_for(lambda: room.recorder is not None
                                      and room.recorder.video_frames >= 30
                                      and time.monotonic() - started >= 2, 30)
                status, ended = await portal.post(f"/rooms/{ROOM}/end", {})
                elapsed = time.monotonic() - started
                assert status == 200, ended
                assert app[REGISTRY].get(ROOM) is None
            finally:
                await doctor.close()
                await guardian.close()
            return snap, ended, elapsed

    snap, ended, elapsed = run(body())
    store = make_store(config)
    with store.open(snap["key"]) as fh:
        jpeg = fh.read()
    assert hashlib.sha256(jpeg).hexdigest() == snap["sha256"] and len(jpeg) == snap["size"]
    with av.open(io.BytesIO(jpeg), format="mjpeg") as container:
        picture = next(container.decode(video=0))
    assert (picture.width, picture.height) == (640, 480)

    recording = ended["recording"]
    assert ended["snapshots"] == [snap]
    assert recording["content_type"] == "video/webm" and recording["audio"] is True
    with store.open(recording["key"]) as fh:
        data = fh.read()
    assert hashlib.sha256(data).hexdigest() == recording["sha256"]
    assert len(data) == recording["size"]
    facts = decode(data)
    assert facts["audio"]
    # Both clients and the service share one process here: ≥ 5 fps of the 15 sent. The
    # recorder counts the packets it wrote; the file decodes to exactly as many pictures.
    assert facts["frames"] == recording["video_frames"] >= 20
    assert abs(recording["duration_seconds"] - elapsed) <= 1.0
    assert abs(facts["last"] - elapsed) <= 1.0
    # The packets the clients' encoders made, accepted by ffprobe.
    check_with_ffprobe(data, tmp_path, elapsed, recording["video_frames"])


def test_rejoin_keeps_recording_and_audio_only_side(tmp_path):
    """The guardian drops and rejoins mid-recording; an audio-only doctor still works."""
    config = media_config(tmp_path)

    async def body():
        async with running_service(config) as (portal, _app):
            doctor = MediaClient("doctor", audio_only=True)
            guardian = MediaClient("guardian")
            second = MediaClient("guardian")
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: guardian.received["audio"] > 10
                                      and doctor.received["audio"] > 10, 15)
                await portal.post(f"/rooms/{ROOM}/recording/start", {"key_prefix": PREFIX})
                started = time.monotonic()
                await asyncio.sleep(1.5)
                await guardian.close()  # the phone drops off
                await asyncio.sleep(1.0)
                before = doctor.received["audio"]
                await second.connect(portal.post, ROOM)  # and comes back: a new offer
                assert await wait_for(lambda: doctor.received["audio"] > before + 20, 10)
                await asyncio.sleep(1.5)
                _, state = await portal.request("GET", f"/rooms/{ROOM}")
                assert state["recording"] is True and state["peers"]["guardian"] == "connected"
                _, ended = await portal.post(f"/rooms/{ROOM}/end", {})
                elapsed = time.monotonic() - started
            finally:
                for client in (doctor, guardian, second):
                    await client.close()
            return doctor, second, ended, elapsed

    doctor, second, ended, elapsed = run(body())
    assert doctor.received["video"] == 0  # audio only: no video is sent to that side
    assert second.received["video"] == 0  # the doctor sends none
    assert second.received["audio"] > 20
    recording = ended["recording"]
    with make_store(config).open(recording["key"]) as fh:
        facts = decode(fh.read())
    # Video recorded before the drop and after the rejoin, on one timeline.
    assert abs(recording["duration_seconds"] - elapsed) <= 1.0
    assert facts["frames"] >= 20


@pytest.mark.parametrize("case", ["unsigned", "forged", "stale", "replayed", "other-path"])
def test_unsigned_forged_stale_replayed_requests_refused(tmp_path, case):
    """Only fresh requests signed with the shared secret are served."""
    from assessment_video.signing import sign_headers

    from .harness import SECRET

    config = media_config(tmp_path)
    path = f"/rooms/{ROOM}/recording/start"
    body = b'{"key_prefix": "townships/3/cases/17/"}'

    async def body_():
        async with running_service(config) as (portal, _app):
            status, _ = await portal.request("GET", "/healthz", headers={})
            assert status == 200
            if case == "unsigned":
                headers = {}
            elif case == "forged":
                headers = sign_headers("not-the-secret", "POST", path, body)
            elif case == "stale":
                headers = sign_headers(SECRET, "POST", path, body, timestamp=int(time.time()) - 31)
            elif case == "other-path":
                headers = sign_headers(SECRET, "POST", f"/rooms/{ROOM}/end", body)
            else:  # the very same signed request, sent twice
                headers = sign_headers(SECRET, "POST", path, body)
                async with portal.session.post(portal.base_url + path, data=body,
                                               headers=headers) as resp:
                    assert resp.status == 404  # authentic: served (there is no such room)
            async with portal.session.post(portal.base_url + path, data=body,
                                           headers=headers) as resp:
                return resp.status, await resp.json()

    status, answer = run(body_())
    assert status == 401 and answer["error"]


def test_shutdown_closes_peers_and_stores_the_recording(tmp_path):
    """Stopping the service mid-recording closes every connection and keeps the recording."""
    from assessment_video.spool import Spool

    config = media_config(tmp_path)

    async def body():
        doctor, guardian = MediaClient("doctor"), MediaClient("guardian")
        try:
            async with running_service(config) as (portal, app):
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: doctor.received["video"] > 5, 15)
                await portal.post(f"/rooms/{ROOM}/recording/start", {"key_prefix": PREFIX})
                await asyncio.sleep(2)
                room = app[REGISTRY].get(ROOM)
                pcs = [peer.pc for peer in room.peers.values()]
            # running_service has stopped the server: on_shutdown ran.
            assert [pc.connectionState for pc in pcs] == ["closed", "closed"]
            assert app[REGISTRY].rooms == {}
        finally:
            await doctor.close()
            await guardian.close()

    run(body())
    result = Spool(tmp_path / "spool", ROOM).read_result()
    assert result["video_frames"] > 5 and result["key"].startswith(PREFIX)
    with make_store(config).open(result["key"]) as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == result["sha256"]


def test_the_transcoding_recorder_still_records_mp4_behind_its_setting(tmp_path):
    """MEDIA_RECORD_MODE=transcode (kept for comparison): x264 and AAC in fragmented MP4."""
    config = media_config(tmp_path, MEDIA_RECORD_MODE="transcode")

    async def body():
        async with running_service(config) as (portal, app):
            doctor, guardian = MediaClient("doctor"), MediaClient("guardian")
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: doctor.received["video"] > 10, 15)
                await portal.post(f"/rooms/{ROOM}/recording/start", {"key_prefix": PREFIX})
                room = app[REGISTRY].get(ROOM)
                assert await wait_for(lambda: room.recorder.video_frames >= 15, 20)
                _, ended = await portal.post(f"/rooms/{ROOM}/end", {})
            finally:
                await doctor.close()
                await guardian.close()
            return ended

    recording = run(body())["recording"]
    assert recording["content_type"] == "video/mp4"
    with make_store(config).open(recording["key"]) as fh:
        facts = decode(fh.read())
    assert facts["audio"] and facts["frames"] == recording["video_frames"] >= 15
