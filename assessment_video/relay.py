"""Forwarding one side's media to the other: switchable outgoing tracks with caps.

Each peer connection sends one `ForwardTrack` per kind. Its source is a `MediaRelay`
subscription of the other side's incoming track and can be switched at any time (the other
side rejoins, leaves, or never sends video); without a source the track simply waits.

Caps: frames larger than max_width × max_height are scaled down (aspect kept), frames
faster than max_fps are dropped. Bitrate: aiortc has no public API for its encoder's bitrate;
browser REMB feedback moves it between the codec's limits (VP8 250 kbps – 1.5 Mbps, H.264
0.5 – 3 Mbps), so `clamp_encoder_bitrates` lowers it to the cap twice a second, and
`cap_sdp_bitrate` adds `b=AS`/`b=TIAS` to the answer, which caps what the browser sends.
"""
from __future__ import annotations

import asyncio
import fractions
import logging
import time

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from av.video.reformatter import VideoReformatter

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)
AUDIO_QUEUE_FRAMES = 50  # 1 s of 20 ms frames; older ones are dropped if the sender lags


def fit_within(width: int, height: int, max_width: int, max_height: int) -> tuple[int, int]:
    """The largest even size with the same aspect that fits in max_width × max_height."""
    scale = min(1.0, max_width / width, max_height / height)
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


def yuv420p_frame(data: bytes, width: int, height: int) -> VideoFrame:
    """A new yuv420p frame from tightly packed planes (Y, then U, then V)."""
    frame = VideoFrame(width, height, "yuv420p")
    offset = 0
    for plane in frame.planes:
        row, rows = plane.width, plane.height
        packed = data[offset: offset + row * rows]
        offset += row * rows
        if plane.line_size != row:
            pad = bytes(plane.line_size - row)
            packed = b"".join(packed[y * row: (y + 1) * row] + pad for y in range(rows))
        plane.update(packed)
    return frame


class RateCap:
    """Lets at most `fps` frames a second through on average; a burst of two passes (jitter)."""

    def __init__(self, fps: int) -> None:
        self._interval = 1.0 / fps if fps else 0.0
        self._next = 0.0

    def allow(self, now: float) -> bool:
        """True if a frame arriving at `now` keeps the rate within the cap."""
        if now + self._interval < self._next:
            return False
        self._next = max(self._next, now - self._interval) + self._interval
        return True


class ForwardTrack(MediaStreamTrack):
    """An outgoing track whose source can be replaced; stamps its own timestamps."""

    def __init__(self, kind: str, max_width: int = 640, max_height: int = 480,
                 max_fps: int = 15) -> None:
        super().__init__()
        self.kind = kind
        self._max = (max_width, max_height)
        self._rate = RateCap(max_fps)
        self._source: MediaStreamTrack | None = None
        self._pump: asyncio.Task | None = None
        self._queue: asyncio.Queue = asyncio.Queue(
            maxsize=AUDIO_QUEUE_FRAMES if kind == "audio" else 1)
        self._start = time.monotonic()
        self._video_pts = -1
        self._audio_pts = 0
        self.frames_sent = 0
        self._scaler = VideoReformatter()  # never the one cached on a shared frame

    def set_source(self, source: MediaStreamTrack | None) -> None:
        """Forward `source` from now on (None: forward nothing until a new source is set)."""
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._source is not None:
            self._source.stop()
        self._source = source
        if source is not None and self.readyState == "live":
            self._pump = asyncio.ensure_future(self._run(source))

    async def _run(self, source: MediaStreamTrack) -> None:
        while True:
            try:
                frame = await source.recv()
            except MediaStreamError:
                return
            if self._queue.full():
                self._queue.get_nowait()
            self._queue.put_nowait(frame)

    async def recv(self) -> AudioFrame | VideoFrame:
        """The next frame to send, re-stamped (relay frames' pts cannot be trusted)."""
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            frame = await self._queue.get()
            if self.kind == "audio":
                frame.pts = self._audio_pts
                frame.time_base = fractions.Fraction(1, frame.sample_rate)
                self._audio_pts += frame.samples
                self.frames_sent += 1
                return frame
            now = time.monotonic()
            if not self._rate.allow(now):
                continue
            width, height = fit_within(frame.width, frame.height, *self._max)
            if (width, height) != (frame.width, frame.height):
                frame = self._scaler.reformat(frame, width=width, height=height)
            self._video_pts = max(self._video_pts + 1, int((now - self._start) * 90000))
            frame.pts = self._video_pts
            frame.time_base = VIDEO_TIME_BASE
            self.frames_sent += 1
            return frame

    def stop(self) -> None:
        """End the track and release its source subscription."""
        self.set_source(None)
        super().stop()


class FrameTap:
    """Consumes a track so its queue never grows; keeps the latest video frame."""

    def __init__(self, track: MediaStreamTrack, log: logging.LoggerAdapter) -> None:
        self.track = track
        self.latest: VideoFrame | None = None
        self.frames = 0
        self._log = log
        self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        while True:
            try:
                frame = await self.track.recv()
            except MediaStreamError:
                return
            self.frames += 1
            if isinstance(frame, VideoFrame):
                self.latest = frame

    def stop(self) -> None:
        """Stop consuming."""
        self._task.cancel()
        self.track.stop()


def cap_sdp_bitrate(sdp: str, max_bitrate: int) -> str:
    """Add b=AS and b=TIAS to each video section (after its c= line): caps the browser's send."""
    lines = sdp.split("\r\n")
    out: list[str] = []
    in_video = False
    for line in lines:
        if line.startswith("m="):
            in_video = line.startswith("m=video")
        if in_video and line.startswith("b="):
            continue
        out.append(line)
        if in_video and line.startswith("c="):
            out.append(f"b=AS:{max(1, max_bitrate // 1000)}")
            out.append(f"b=TIAS:{max_bitrate}")
    return "\r\n".join(out)


def clamp_encoder_bitrates(pc: RTCPeerConnection, max_bitrate: int) -> None:
    """Lower each video sender's encoder target bitrate to the cap (aiortc internals)."""
    for sender in pc.getSenders():
        encoder = getattr(sender, "_RTCRtpSender__encoder", None)
        current = getattr(encoder, "target_bitrate", None)
        if current is not None and current > max_bitrate:
            encoder.target_bitrate = max_bitrate
