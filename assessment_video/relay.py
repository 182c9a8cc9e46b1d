"""Caps and helpers of the relay: sizes, frame rate, bitrates, a frame tap.

What each side receives is sent by the tracks of `forwarding.py`. Caps: frames larger than
max_width × max_height are scaled down (aspect kept), frames faster than max_fps are
dropped (both only where a stream is transcoded). Bitrate: aiortc has no public API for its
encoder's bitrate (reached through `aiortc_adapter`); browser REMB feedback moves it between
the codec's limits (VP8 250 kbps – 1.5 Mbps, H.264 0.5 – 3 Mbps), so
`clamp_encoder_bitrates` lowers it to the cap twice a second, and
`cap_sdp_bitrate` adds `b=AS`/`b=TIAS` to the answer, which caps what the browser sends.
"""
from __future__ import annotations

import asyncio
import fractions
import logging

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import VideoFrame

from . import aiortc_adapter

VIDEO_TIME_BASE = fractions.Fraction(1, 90000)


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
    """Lower each video sender's encoder target bitrate to the cap."""
    for sender in pc.getSenders():
        encoder = aiortc_adapter.sender_encoder(sender)
        current = getattr(encoder, "target_bitrate", None)
        if current is not None and current > max_bitrate:
            encoder.target_bitrate = max_bitrate
