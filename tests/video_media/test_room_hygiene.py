"""Rooms nobody is in are closed after a while (their recording left in the spool for the
portal's "recover"), and one side cannot flood a room with offers."""
from __future__ import annotations

import asyncio

from assessment_video.app import REGISTRY

from .harness import media_config, run_async, running_service
from .synthetic import MediaClient, wait_for

ROOM = "r0om-Hygiene_1"
PREFIX = "townships/3/cases/17/"


def test_a_room_left_by_everyone_is_reaped_and_its_recording_kept_for_recovery(tmp_path):
    config = media_config(tmp_path, MEDIA_ROOM_IDLE_SECONDS=1)

    async def body():
        async with running_service(config) as (portal, app):
            registry = app[REGISTRY]
            doctor, guardian = MediaClient("doctor"), MediaClient("guardian")
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: guardian.received["video"] > 10, 15)
                await portal.post(f"/rooms/{ROOM}/recording/start", {"key_prefix": PREFIX})
                await asyncio.sleep(1.5)
                # While peers are connected, the room is never idle.
                assert await registry.reap() == [] and registry.get(ROOM) is not None
            finally:
                await doctor.close()
                await guardian.close()
            assert await wait_for(lambda: registry.get(ROOM) is None, 20), "never reaped"
            status, _ = await portal.request("GET", f"/rooms/{ROOM}")
            recovered = await portal.post(f"/rooms/{ROOM}/recover", {})
            return status, recovered

    status, (recover_status, recovered) = run_async(body(), timeout=60)
    assert status == 404
    assert recover_status == 200 and recovered["recording"]["video_frames"] > 5


def test_a_room_never_joined_is_reaped(tmp_path):
    config = media_config(tmp_path, MEDIA_ROOM_IDLE_SECONDS=1)

    async def body():
        async with running_service(config) as (_portal, app):
            registry = app[REGISTRY]
            registry.get_or_create(ROOM)
            return await wait_for(lambda: registry.get(ROOM) is None, 20)

    assert run_async(body(), timeout=40)


def test_offers_beyond_the_minute_limit_are_refused(tmp_path):
    config = media_config(tmp_path, MEDIA_MAX_OFFERS_PER_MINUTE=2)

    async def body():
        async with running_service(config) as (portal, _app):
            answers = []
            clients = [MediaClient("guardian", video=False) for _ in range(3)]
            try:
                for client in clients:
                    try:
                        await client.connect(portal.post, ROOM)
                        answers.append(200)
                    except AssertionError as refused:  # the client asserts a 200 answer
                        answers.append(str(refused))
                doctor = MediaClient("doctor", video=False)
                try:
                    await doctor.connect(portal.post, ROOM)  # the other side has its own count
                    answers.append("doctor ok")
                finally:
                    await doctor.close()
            finally:
                for client in clients:
                    await client.close()
            return answers

    answers = run_async(body(), timeout=60)
    assert answers[:2] == [200, 200] and answers[3] == "doctor ok"
    assert "429" in answers[2] or "too many offers" in answers[2], answers
