"""Forwarding frames as received, transcoding only what exceeds the caps, keyframe requests."""
from __future__ import annotations

import asyncio
import types

import av
import pytest

from assessment_video import aiortc_adapter
from assessment_video.app import REGISTRY
from assessment_video.forwarding import (
    EncodedFrame,
    VideoForwardTrack,
    vp8_keyframe_size,
)

from .harness import media_config, run_async, running_service
from .synthetic import MediaClient, pattern_picture, vp8_packets, wait_for

ROOM = "forwarding-room"
VP8 = types.SimpleNamespace(name="VP8", clockRate=90000, mimeType="video/VP8",
                            payloadType=96, parameters={}, channels=None)


def vp8_stream(width: int, height: int, count: int) -> list[bytes]:
    """`count` VP8 frames of width × height, a keyframe first."""
    pictures = [pattern_picture(width, height, i) for i in range(count)]
    return vp8_packets(pictures, width, height, 300_000)


def items(packets: list[bytes], first_timestamp: int = 0,
          spacing: int = 6000) -> list[EncodedFrame]:
    """Feed items for `packets`, `spacing` apart on the 90 kHz clock (6000: 15 fps)."""
    out = []
    for i, data in enumerate(packets):
        size = vp8_keyframe_size(data)
        frame = types.SimpleNamespace(data=data, timestamp=first_timestamp + i * spacing)
        out.append(EncodedFrame(VP8, frame, size is not None, size))
    return out


class FakeFeed:
    """What a track needs of a feed: subscriptions and keyframe requests."""

    def __init__(self):
        self.requests = 0
        self.tracks = set()

    def subscribe(self, track):
        self.tracks.add(track)

    def unsubscribe(self, track):
        self.tracks.discard(track)

    def request_keyframe(self):
        self.requests += 1


def test_vp8_keyframe_header_gives_the_picture_size():
    packets = vp8_stream(352, 288, 3)
    assert vp8_keyframe_size(packets[0]) == (352, 288)
    assert [vp8_keyframe_size(p) for p in packets[1:]] == [None, None]
    assert vp8_keyframe_size(b"") is None and vp8_keyframe_size(b"\x00" * 12) is None


def test_track_forwards_within_caps_and_transcodes_beyond_them():
    """Mode follows each keyframe: forwarded as is, or decoded, scaled and handed to the encoder."""

    async def body():
        # The wall-clock rate cap would drop frames pushed all at once: not this test's point.
        track = VideoForwardTrack(640, 480, 1000)
        track.attach_sender(None, "VP8")
        feed = FakeFeed()
        track.set_source(feed)
        small, large = vp8_stream(320, 240, 4), vp8_stream(800, 600, 4)
        # An inter frame before any keyframe cannot start the stream: a keyframe is asked for.
        track.push(items(small[1:2])[0])
        for item in items(small, 6000) + items(large, 6000 * 10) + items(small, 6000 * 20):
            track.push(item)
        out = [await track.recv() for _ in range(12)]
        return track, feed, out, small

    track, feed, out, small = run_async(body(), timeout=30)
    assert feed.requests >= 1
    forwarded, transcoded, forwarded_again = out[:4], out[4:8], out[8:]
    assert all(isinstance(p, av.Packet) for p in forwarded + forwarded_again)
    assert [bytes(p) for p in forwarded] == small  # untouched
    assert all(isinstance(f, av.VideoFrame) for f in transcoded)
    assert {(f.width, f.height) for f in transcoded} == {(640, 480)}
    assert (track.frames_forwarded, track.frames_transcoded) == (8, 4)
    stamps = [p.pts for p in out]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_track_stops_forwarding_a_source_over_the_frame_rate_cap():
    """30 fps against a 15 fps cap: a keyframe is asked for, and from it frames are transcoded."""

    async def body():
        track = VideoForwardTrack(640, 480, 15)
        track.attach_sender(None, "VP8")
        feed = FakeFeed()
        track.set_source(feed)
        fast = items(vp8_stream(320, 240, 32), spacing=3000)
        for item in fast + items(vp8_stream(320, 240, 2), 3000 * 32, spacing=3000):
            track.push(item)
        requests = feed.requests
        out = [await track.recv() for _ in range(33)]
        return out, feed.requests - requests

    out, requests = run_async(body(), timeout=30)
    assert all(isinstance(p, av.Packet) for p in out[:32])
    assert requests >= 1
    assert isinstance(out[32], av.VideoFrame)


def test_track_transcodes_everything_when_forwarding_is_off():
    async def body():
        track = VideoForwardTrack(640, 480, 1000, forward=False)
        track.attach_sender(None, "VP8")
        track.set_source(FakeFeed())
        for item in items(vp8_stream(320, 240, 3)):
            track.push(item)
        return [await track.recv() for _ in range(3)]

    out = run_async(body(), timeout=30)
    assert all(isinstance(f, av.VideoFrame) for f in out)


def _counts(room) -> dict:
    """Frames forwarded and transcoded each way, decoded by aiortc, recorded, snapshot."""
    to_doctor, to_guardian = room.peers["doctor"].out, room.peers["guardian"].out
    return {
        "to_doctor_video": (to_doctor["video"].frames_forwarded,
                            to_doctor["video"].frames_transcoded),
        "to_guardian_video": (to_guardian["video"].frames_forwarded,
                              to_guardian["video"].frames_transcoded),
        "to_doctor_audio": (to_doctor["audio"].frames_forwarded,
                            to_doctor["audio"].frames_transcoded),
        "decoded_by_aiortc": sum(feed.decoded for peer in room.peers.values()
                                 for feed in peer.feeds.values()),
        "recorded": room.recorder.video_frames,
        "snapshot_decoded_before": room.peers["guardian"].pictures.decoded,
    }


@pytest.mark.parametrize("forward", [1, 0])
def test_sessions_forward_what_fits_and_decode_nothing_until_a_snapshot(tmp_path, forward):
    """640×480 VP8 and Opus are forwarded untouched and recorded as received: no incoming
    stream is decoded; a snapshot decodes the applicant's frames since their last keyframe."""
    config = media_config(tmp_path, MEDIA_FORWARD=forward)

    async def body():
        async with running_service(config) as (portal, app):
            doctor = MediaClient("doctor", width=640, height=480)
            guardian = MediaClient("guardian", width=320, height=240)
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                await portal.post(f"/rooms/{ROOM}/recording/start",
                                  {"key_prefix": "townships/1/cases/2/"})
                assert await wait_for(lambda: doctor.received["video"] > 20
                                      and guardian.received["video"] > 20, 20)
                room = app[REGISTRY].get(ROOM)
                pictures = room.peers["guardian"].pictures
                counts = _counts(room)
                status, _snap = await portal.post(f"/rooms/{ROOM}/snapshot",
                                                  {"key_prefix": "townships/1/cases/2/"})
                assert status == 200
                counts["snapshot_decoded_after"] = pictures.decoded
            finally:
                await doctor.close()
                await guardian.close()
            return doctor, guardian, counts

    doctor, guardian, counts = run_async(body(), timeout=60)
    assert guardian.sizes == {(640, 480)} and doctor.sizes == {(320, 240)}
    assert counts["decoded_by_aiortc"] == 0, counts  # nothing decoded on its way
    assert counts["recorded"] > 5, counts
    assert counts["snapshot_decoded_before"] == 0
    assert counts["snapshot_decoded_after"] >= 1
    if forward:
        for key in ("to_doctor_video", "to_guardian_video", "to_doctor_audio"):
            assert counts[key][0] > 10 and counts[key][1] == 0, (key, counts)
    else:
        for key in ("to_doctor_video", "to_guardian_video", "to_doctor_audio"):
            assert counts[key][0] == 0 and counts[key][1] > 10, (key, counts)


def test_transcoding_recorder_decodes_the_applicant_and_both_voices(tmp_path):
    """MEDIA_RECORD_MODE=transcode (the earlier recorder, kept for comparison): the
    applicant's video and both voices are decoded, the doctor's video never is."""
    config = media_config(tmp_path, MEDIA_RECORD_MODE="transcode")

    async def body():
        async with running_service(config) as (portal, app):
            doctor, guardian = MediaClient("doctor"), MediaClient("guardian")
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: doctor.received["video"] > 20, 20)
                room = app[REGISTRY].get(ROOM)
                return {f"{peer.role}_{kind}": feed.decoded
                        for peer in room.peers.values() for kind, feed in peer.feeds.items()}
            finally:
                await doctor.close()
                await guardian.close()

    decoded = run_async(body(), timeout=60)
    assert decoded["doctor_video"] == 0
    assert min(decoded["guardian_video"], decoded["guardian_audio"],
               decoded["doctor_audio"]) > 10, decoded


def test_picture_loss_and_rejoin_bring_keyframes_from_the_source(tmp_path):
    """A receiver's picture-loss report reaches the sender; a rejoined side gets video again."""
    config = media_config(tmp_path)

    async def body():
        async with running_service(config) as (portal, app):
            doctor = MediaClient("doctor")
            guardian, second = MediaClient("guardian"), MediaClient("guardian")
            try:
                await doctor.connect(portal.post, ROOM)
                await guardian.connect(portal.post, ROOM)
                assert await wait_for(lambda: guardian.received["video"] > 10, 15)
                room = app[REGISTRY].get(ROOM)
                feed = room.peers["doctor"].feeds["video"]
                requests, keyframes = feed.keyframe_requests, feed.keyframes
                await asyncio.sleep(0.4)  # past the request interval
                # What aiortc does when the guardian's browser reports picture loss:
                aiortc_adapter.force_keyframe(room.peers["guardian"].out["video"]._sender)
                assert await wait_for(lambda: feed.keyframes > keyframes, 5)
                assert feed.keyframe_requests > requests

                await guardian.close()  # the phone drops off and comes back
                await asyncio.sleep(0.5)
                await second.connect(portal.post, ROOM)
                assert await wait_for(lambda: second.received["video"] > 10, 15)
                before = doctor.received["video"]
                assert await wait_for(lambda: doctor.received["video"] > before + 10, 15)
            finally:
                for client in (doctor, guardian, second):
                    await client.close()

    run_async(body(), timeout=60)
