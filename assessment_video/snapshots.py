"""Pictures of the applicant only when the doctor asks for one.

The applicant's video is forwarded and recorded as received, never decoded on its way. For
a snapshot, `PictureSource` keeps the encoded frames since the last keyframe (a VP8 inter
frame can only be decoded after the keyframe it builds on) and, when asked, decodes that
chain up to the newest frame that had arrived at the moment of the request: the picture is of
that moment (its age, the frame's transit time, is measured and reported).

To keep that chain short (a browser sends a keyframe only when asked), the source asks the
applicant's browser for a keyframe (RTCP picture-loss indication) once the chain spans
`interval` seconds; the recording gains a seek point at each of them. A chain that still grows
past `limit` seconds (requests lost) is dropped and the next keyframe awaited. With no
keyframe yet (just joined, or the chain dropped) a snapshot asks for one and decodes it.
"""
from __future__ import annotations

import asyncio
import fractions
import time

import av
from aiortc.codecs import get_decoder
from av.video.reformatter import VideoReformatter

from .relay import fit_within

KEYFRAME_WAIT = 3.0  # seconds a snapshot waits for a requested keyframe


class NoPicture(Exception):
    """The applicant sends no video (or none arrived in time)."""


class PictureSource:
    """Subscriber of the applicant's `EncodedFeed`: the frames since its last keyframe."""

    kind = "video"

    def __init__(self, feed, interval: float = 10.0, limit: float = 30.0) -> None:
        self._feed = feed
        self._interval = interval
        self._limit = limit
        self._chain: list[tuple[object, float]] = []  # (EncodedFrame, arrival)
        self._asked = False  # a keyframe was asked for this chain
        self._keyframe_event = asyncio.Event()
        self.keyframes = 0
        self.decoded = 0
        feed.subscribe(self)

    def close(self) -> None:
        """Stop keeping frames."""
        self._feed.unsubscribe(self)
        self._chain = []

    def push(self, item) -> None:
        """A frame of the applicant (None: their video ended)."""
        if item is None:
            self._chain = []
            return
        now = time.monotonic()
        if item.keyframe:
            self._chain = [(item, now)]  # a new list: a snapshot decoding the old one keeps it
            self._asked = False
            self.keyframes += 1
            self._keyframe_event.set()
            self._keyframe_event = asyncio.Event()
            return
        if not self._chain:
            self._feed.request_keyframe()  # nothing to build on: wait for the next key
            return
        self._chain.append((item, now))
        span = (item.frame.timestamp - self._chain[0][0].frame.timestamp) / 90000
        if span > self._limit:
            self._chain = []
            self._feed.request_keyframe()
        elif span > self._interval and not self._asked and self._interval > 0:
            self._asked = True
            self._feed.request_keyframe()

    async def picture(self) -> tuple[av.VideoFrame, float]:
        """The applicant's picture at this moment, and how old it was then (seconds)."""
        asked = time.monotonic()
        chain = self._chain
        if not chain:
            waiting = self._keyframe_event
            self._feed.request_keyframe()
            try:
                await asyncio.wait_for(waiting.wait(), KEYFRAME_WAIT)
            except TimeoutError:
                raise NoPicture from None
            chain = self._chain[:1]
        else:
            chain = list(chain)  # frames arriving from now on are not of this moment
        age = max(0.0, asked - chain[-1][1])
        loop = asyncio.get_running_loop()
        frame = await loop.run_in_executor(None, _decode_chain, [i for i, _ in chain])
        if frame is None:
            raise NoPicture
        self.decoded += len(chain)
        return frame, age


def _decode_chain(items: list) -> av.VideoFrame | None:
    """Decode a keyframe and the frames after it; the last picture (None if none decodes)."""
    decoder = get_decoder(items[0].codec)
    picture = None
    for item in items:
        try:
            frames = decoder.decode(item.frame)
        except av.FFmpegError:
            continue
        if frames:
            picture = frames[-1]
    return picture


def jpeg(frame: av.VideoFrame, max_width: int, max_height: int) -> tuple[bytes, int, int]:
    """`frame` as a JPEG that fits within the caps; its bytes, width and height."""
    width, height = fit_within(frame.width, frame.height, max_width, max_height)
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = fractions.Fraction(1, 1)
    image = VideoReformatter().reformat(frame, width=width, height=height, format="yuvj420p")
    data = b"".join(bytes(p) for p in codec.encode(image))
    data += b"".join(bytes(p) for p in codec.encode(None))
    return data, width, height
