"""Synthetic media and aiortc clients for the media service's tests and benchmark."""
from __future__ import annotations

import array
import asyncio
import fractions
import math
import os
import queue
import time
from collections.abc import Awaitable, Callable

import av
from aiortc import (
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

from assessment_video import aiortc_adapter
from assessment_video.relay import yuv420p_frame

VIDEO_CLOCK = 90000


def pattern_picture(width: int, height: int, step: int) -> bytes:
    """A moving gradient with a band of noise (so the encoders have texture to work on)."""
    row = bytes((x + step * 6) % 220 + 16 for x in range(width))
    band = height // 6
    top = (step * 4) % (height - band)
    luma = row * top + os.urandom(width * band) + row * (height - top - band)
    chroma = bytes([(96 + step) % 256]) * (width * height // 4)
    return luma + chroma + bytes([128]) * (width * height // 4)


class PatternVideoTrack(MediaStreamTrack):
    """Camera stand-in: width × height frames at `fps`, from a loop of precomputed pictures."""

    kind = "video"

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15, loop: int = 30):
        super().__init__()
        self.size = (width, height)
        self.fps = fps
        self._pictures = [pattern_picture(width, height, i) for i in range(loop)]
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> VideoFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count / self.fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = yuv420p_frame(self._pictures[self._count % len(self._pictures)], *self.size)
        frame.pts = int(self._count * VIDEO_CLOCK / self.fps)
        frame.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._count += 1
        return frame


class CountingCamera(PatternVideoTrack):
    """A camera whose every picture shows its own number (BITS black or white blocks along
    the top), and remembers when it handed each picture to the encoder."""

    BITS = 10

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15):
        super().__init__(width, height, fps, loop=1)
        self.sent_at: dict[int, float] = {}

    async def recv(self) -> VideoFrame:
        frame = await super().recv()
        number = self._count - 1
        width, height = self.size
        block = width // self.BITS
        row = b"".join((b"\xeb" if number >> bit & 1 else b"\x10") * block
                       for bit in range(self.BITS)) + b"\x80" * (width - block * self.BITS)
        luma = row * block + b"\x80" * (width * (height - block))
        chroma = b"\x80" * (width * height // 2)
        picture = yuv420p_frame(luma + chroma, width, height)
        picture.pts, picture.time_base = frame.pts, frame.time_base
        self.sent_at[number] = time.monotonic()
        return picture

    @classmethod
    def number(cls, frame: VideoFrame) -> int:
        """The number a (decoded) picture of this camera shows."""
        plane = frame.reformat(format="gray")
        data, line = bytes(plane.planes[0]), plane.planes[0].line_size
        block = frame.width // cls.BITS
        middle = block // 2
        return sum(1 << bit for bit in range(cls.BITS)
                   if data[middle * line + bit * block + middle] > 128)


def vp8_packets(pictures: list[bytes], width: int, height: int, bitrate: int,
                gop: int | None = None) -> list[bytes]:
    """`pictures` (packed yuv420p) encoded as realtime VP8, one packet each, a keyframe first."""
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.bit_rate = bitrate
    encoder.time_base = fractions.Fraction(1, VIDEO_CLOCK)
    if gop is not None:
        encoder.gop_size = gop
    encoder.options = {"deadline": "realtime", "cpu-used": "-6", "lag-in-frames": "0"}
    packets: list[bytes] = []
    for i, picture in enumerate(pictures):
        frame = yuv420p_frame(picture, width, height)
        frame.pts = i * (VIDEO_CLOCK // 15)
        packets += [bytes(p) for p in encoder.encode(frame)]
    return packets + [bytes(p) for p in encoder.encode(None)]


class EncodedPatternTrack(PatternVideoTrack):
    """A camera whose VP8 was encoded beforehand: sends packets, costs its process no encoding.

    The loop of pictures is encoded once (a keyframe first, so every lap starts with one);
    a picture-loss request is answered by the next lap's keyframe. For load tests, where
    many synthetic senders must not compete with the service for the CPU.
    """

    def __init__(self, width: int = 320, height: int = 240, fps: int = 15, loop: int = 30,
                 bitrate: int = 500_000):
        super().__init__(width, height, fps, loop)
        self._packets = vp8_packets(self._pictures, width, height, bitrate, gop=loop)

    async def recv(self) -> av.Packet:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count / self.fps
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        packet = av.Packet(self._packets[self._count % len(self._packets)])
        packet.pts = int(self._count * VIDEO_CLOCK / self.fps)
        packet.time_base = fractions.Fraction(1, VIDEO_CLOCK)
        self._count += 1
        return packet


class ToneAudioTrack(MediaStreamTrack):
    """Microphone stand-in: a 440 Hz tone, 20 ms frames of 48 kHz mono."""

    kind = "audio"

    def __init__(self, hz: float = 440.0):
        super().__init__()
        rate = 48000
        wave = array.array("h", (int(8000 * math.sin(2 * math.pi * hz * i / rate))
                                 for i in range(rate)))
        self._wave = wave.tobytes()
        self._count = 0
        self._start: float | None = None

    async def recv(self) -> AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        if self._start is None:
            self._start = time.monotonic()
        due = self._start + self._count * 0.02
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        frame = AudioFrame(format="s16", layout="mono", samples=960)
        offset = (self._count % 50) * 1920
        frame.planes[0].update(self._wave[offset:offset + 1920])
        frame.sample_rate = 48000
        frame.pts = self._count * 960
        frame.time_base = fractions.Fraction(1, 48000)
        self._count += 1
        return frame


Post = Callable[[str, dict], Awaitable[tuple[int, dict]]]


class _CountingQueue(queue.Queue):
    """Stands in for a client receiver's decoder queue: counts encoded frames, decodes none."""

    def __init__(self, client: MediaClient, kind: str) -> None:
        super().__init__()
        self._client, self._kind = client, kind

    def put(self, item, *args, **kwargs) -> None:
        if item is None:  # the receiver stopped: let aiortc's decoder thread end
            super().put(None)
            return
        self._client.received[self._kind] += 1
        data = item[1].data
        if self._kind == "video" and len(data) >= 10 and not data[0] & 1:
            self._client.sizes.add((int.from_bytes(data[6:8], "little") & 0x3FFF,
                                    int.from_bytes(data[8:10], "little") & 0x3FFF))


class MediaClient:
    """One side (doctor or guardian) as an aiortc peer; counts what it receives.

    `decode=False` counts the encoded frames received without decoding them (for load
    tests, where the synthetic sides must leave the CPU to the service).
    """

    def __init__(self, role: str, *, video: bool = True, audio_only: bool = False,
                 ice_servers: list[dict] | None = None, relay_only: bool = False,
                 width: int = 320, height: int = 240, fps: int = 15, encoded: bool = False,
                 decode: bool = True, camera: MediaStreamTrack | None = None):
        config = RTCConfiguration(
            iceServers=[RTCIceServer(**s) for s in (ice_servers or [])],
            iceTransportPolicy=(RTCIceTransportPolicy.RELAY if relay_only
                                else RTCIceTransportPolicy.ALL))
        self.role = role
        self.audio_only = audio_only
        self.pc = RTCPeerConnection(config)
        self.received = {"video": 0, "audio": 0}
        self.sizes: set[tuple[int, int]] = set()
        self._tasks: list[asyncio.Task] = []
        if camera is None and video and not audio_only:
            camera = (EncodedPatternTrack if encoded else PatternVideoTrack)(width, height, fps)
        self.video = camera if video and not audio_only else None
        self.pc.addTrack(ToneAudioTrack(330.0 if role == "doctor" else 440.0))
        if self.video is not None:
            self.pc.addTrack(self.video)
        elif not audio_only:
            self.pc.addTransceiver("video", direction="recvonly")

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            if not decode:
                receiver = next(t.receiver for t in self.pc.getTransceivers()
                                if t.receiver.track is track)
                aiortc_adapter.replace_decoder_queue(receiver, _CountingQueue(self, track.kind))
                return
            self._tasks.append(asyncio.ensure_future(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            self.received[track.kind] += 1
            if track.kind == "video":
                self.sizes.add((frame.width, frame.height))

    async def connect(self, post: Post, room: str) -> dict:
        """Gather, send the complete offer through `post`, apply the answer."""
        await self.pc.setLocalDescription(await self.pc.createOffer())
        status, answer = await post(f"/rooms/{room}/offer", {
            "role": self.role, "sdp": self.pc.localDescription.sdp, "type": "offer",
            "audio_only": self.audio_only})
        assert status == 200, answer
        await self.pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], answer["type"]))
        return answer

    async def close(self) -> None:
        """Hang up."""
        for task in self._tasks:
            task.cancel()
        await self.pc.close()


async def wait_for(predicate: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll `predicate` until true or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        await asyncio.sleep(step)
    return predicate()
