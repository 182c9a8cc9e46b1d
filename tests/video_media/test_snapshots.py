"""Snapshots decode the applicant's video only when asked, and show the moment of the request."""
from __future__ import annotations

import asyncio
import io
import time

import av

from assessment_video.app import REGISTRY
from portal.storage import make_store

from .harness import media_config, run_async, running_service
from .synthetic import CountingCamera, MediaClient, wait_for

ROOM = "snapshot-room"
PREFIX = "townships/4/cases/8/"
TOLERANCE = 0.5  # seconds between the request and the moment the picture was taken


def test_a_snapshot_shows_the_moment_it_was_asked_for(tmp_path):
    """The applicant's camera numbers its pictures; each snapshot's number is of the moment
    of the request (within TOLERANCE), whether the chain since the last keyframe is short or
    long; keyframes are asked for every MEDIA_KEYFRAME_INTERVAL seconds, and nothing is
    decoded between snapshots."""
    config = media_config(tmp_path, MEDIA_KEYFRAME_INTERVAL=2)
    camera = CountingCamera()

    async def body():
        async with running_service(config) as (portal, app):
            doctor = MediaClient("doctor")
            guardian = MediaClient("guardian", camera=camera)
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: doctor.received["video"] > 30, 20)
                pictures = app[REGISTRY].get(ROOM).peers["guardian"].pictures
                keyframes_before = pictures.keyframes
                shots = []
                for pause in (0.0, 0.7, 1.1, 1.9):
                    await asyncio.sleep(pause)
                    decoded_before = pictures.decoded
                    asked = time.monotonic()
                    status, snap = await portal.post(f"/rooms/{ROOM}/snapshot",
                                                     {"key_prefix": PREFIX})
                    assert status == 200, snap
                    shots.append((asked, snap, pictures.decoded - decoded_before))
                idle_decoded = pictures.decoded
                await asyncio.sleep(1.0)
                assert pictures.decoded == idle_decoded  # nothing decoded between snapshots
                keyframes = pictures.keyframes - keyframes_before
            finally:
                await doctor.close()
                await guardian.close()
            return shots, keyframes

    shots, keyframes = run_async(body(), timeout=90)
    store = make_store(config)
    delays = []
    for asked, snap, decoded in shots:
        with store.open(snap["key"]) as fh, av.open(io.BytesIO(fh.read()),
                                                    format="mjpeg") as container:
            number = CountingCamera.number(next(container.decode(video=0)))
        taken = camera.sent_at[number]
        delays.append(asked - taken)
        assert 1 <= decoded <= 2 * 15 + 5  # at most the chain since the last keyframe
        assert snap["picture_age_ms"] <= TOLERANCE * 1000
    print("snapshot delays (s):", [round(d, 3) for d in delays])
    assert all(-0.1 <= d <= TOLERANCE for d in delays), delays
    assert keyframes >= 2  # asked for every 2 s (about 4.7 s passed)


def test_a_snapshot_without_the_applicants_video_is_refused(tmp_path):
    config = media_config(tmp_path)

    async def body():
        async with running_service(config) as (portal, _app):
            doctor = MediaClient("doctor")
            guardian = MediaClient("guardian", audio_only=True)
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: doctor.received["audio"] > 10, 20)
                return await portal.post(f"/rooms/{ROOM}/snapshot", {"key_prefix": PREFIX})
            finally:
                await doctor.close()
                await guardian.close()

    status, answer = run_async(body(), timeout=60)
    assert status == 409 and answer["error"] == "no video from the applicant"
