"""Forwarding video as it was received (what an SFU does), with transcoding as the fallback.

aiortc decodes every incoming video frame and re-encodes every outgoing one. When a side
already sends what the caps allow (the browser client asks its camera for at most 640×480
at 15 fps, and the answer's b=AS caps its bitrate), that work is wasted: the media service
can hand the other side the very VP8 frames it received. So:

- each incoming video receiver gets an `EncodedFeed` in place of its decoder queue. aiortc
  puts every reassembled frame there (on the event loop); the feed hands it to its
  subscribers (the other side's outgoing track, the recorder, the applicant's snapshot
  source) and passes it on to aiortc's decoder thread only where decoded pictures are needed
  (with the transcoding recorder: the applicant's video and both voices);
- each outgoing video track (`VideoForwardTrack`) forwards its source's frames unchanged
  (aiortc's sender packetizes pre-encoded packets) while the source's keyframes show a
  size within the caps, its frame rate stays within them and both legs speak the same
  codec; otherwise it decodes them itself, scales, drops frames over the rate cap and lets
  aiortc re-encode them. The mode changes only at a keyframe of the source;
- keyframes: a new subscriber asks the source for one (RTCP PLI), and a picture-loss report
  from the receiving side is passed on to the source while forwarding.

aiortc has no public API for encoded frames, keyframe requests or codec narrowing in an
answer: every such access goes through `aiortc_adapter`, which checks them at start.

Forwarding keeps the sender's bitrate as the source sent it (capped by b=AS in each
answer); the receiving side's bandwidth estimate reaches the encoder only when transcoding.
"""
from __future__ import annotations

import asyncio
import collections
import fractions
import logging
import queue
import time
from dataclasses import dataclass
from typing import Any

import av
from aiortc.codecs import get_decoder
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from av.video.reformatter import VideoReformatter

from . import aiortc_adapter
from .congestion import TransportFeedback
from .recording import AUDIO_RATE
from .relay import VIDEO_TIME_BASE, RateCap, fit_within

logger = logging.getLogger("assessment_video")

INBOX_LIMIT = 45  # 3 s at 15 fps: a sender this far behind starts again from a keyframe
AUDIO_INBOX_LIMIT = 50  # 1 s of 20 ms packets
KEYFRAME_REQUEST_INTERVAL = 0.3  # seconds between two picture-loss requests to one source
RATE_WINDOW = 30  # frames over which a source's frame rate is measured
RATE_TOLERANCE = 1.25  # a source up to 25 % over the frame-rate cap is still forwarded
# A video source that sent no complete frame for this long, while its packets keep coming, has
# lost a packet for good (its retransmission lost too): skip it (see EncodedFeed.skip_hole).
# Long enough for a retransmission over a slow phone link (round trip up to about 0.6 s).
STALL_SECONDS = 1.0


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height of a VP8 keyframe (RFC 6386 §9.1); None for an inter frame."""
    if len(data) < 10 or data[0] & 1 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(data[6:8], "little") & 0x3FFF
    height = int.from_bytes(data[8:10], "little") & 0x3FFF
    return width, height


@dataclass(slots=True)
class EncodedFrame:
    """One complete encoded frame of a source, as aiortc reassembled it."""

    codec: Any  # aiortc's RTCRtpCodecParameters
    frame: Any  # aiortc's JitterFrame: .data (bytes), .timestamp (90 kHz, from 0)
    keyframe: bool
    size: tuple[int, int] | None  # a VP8 keyframe's picture size


class EncodedFeed:
    """Stands in for an aiortc receiver's decoder queue: a tee of its encoded frames.

    aiortc calls `put` with (codec, frame) for every complete frame and with None when the
    receiver stops; its decoder thread calls `get`. Frames reach that thread only while
    `decode` is true, so a source whose pictures nobody needs is never decoded.
    """

    def __init__(self, receiver, decode: bool) -> None:
        self._receiver = receiver
        self._decoder_input: queue.Queue = queue.Queue()
        self.decode = decode
        self._subscribers: set[_FeedTrack] = set()
        self._last_request = 0.0
        self.size: tuple[int, int] | None = None
        self.frames = 0
        self.keyframes = 0
        self.keyframe_requests = 0
        self.decoded = 0  # frames handed to aiortc's decoder
        self.last_frame_at: float | None = None  # time.monotonic() of the latest frame
        self.holes_skipped = 0
        self.feedback: TransportFeedback | None = None  # transport-cc, for video

    @classmethod
    def install(cls, receiver, decode: bool) -> EncodedFeed:
        """Put a feed in `receiver` (before it starts: aiortc reads the queue once)."""
        feed = cls(receiver, decode)
        aiortc_adapter.replace_decoder_queue(receiver, feed)
        if receiver.track is not None and receiver.track.kind == "video":
            feed.feedback = TransportFeedback(receiver)
            feed.feedback.start()
        return feed

    # The two methods aiortc calls on its decoder queue.
    def put(self, task) -> None:
        """A complete frame from aiortc's jitter buffer (None: the receiver stopped)."""
        if task is None:
            if self.feedback is not None:
                self.feedback.stop()
            self._decoder_input.put(None)
            for track in list(self._subscribers):
                track.push(None)
            return
        codec, frame = task
        self.last_frame_at = time.monotonic()
        size = vp8_keyframe_size(frame.data) if codec.name == "VP8" else None
        if size is not None:
            self.size = size
            self.keyframes += 1
        item = EncodedFrame(codec, frame, size is not None, size)
        self.frames += 1
        for track in list(self._subscribers):
            track.push(item)
        if self.decode:
            self.decoded += 1
            self._decoder_input.put(task)

    def skip_hole(self, now: float, after: float = STALL_SECONDS) -> bool:
        """A video source whose frames stopped while packets keep coming lost one for good:
        drop what waits behind it and ask for a keyframe (True if a hole was skipped)."""
        if self.last_frame_at is None or now - self.last_frame_at < after:
            return False
        if not aiortc_adapter.skip_jitter_hole(self._receiver):
            return False
        self.holes_skipped += 1
        self.last_frame_at = now  # give the next frames time before looking again
        self._last_request = 0.0
        self.request_keyframe()
        return True

    def get(self, *args, **kwargs):
        """For aiortc's decoder thread."""
        return self._decoder_input.get(*args, **kwargs)

    def subscribe(self, track: _FeedTrack) -> None:
        """Send every frame from now on to `track` (a video source is asked for a keyframe)."""
        self._subscribers.add(track)
        if track.kind == "video":
            self.request_keyframe()

    def unsubscribe(self, track: _FeedTrack) -> None:
        """Stop sending frames to `track`."""
        self._subscribers.discard(track)

    def request_keyframe(self) -> None:
        """Ask the source for a keyframe (RTCP PLI), at most every 0.3 s."""
        now = time.monotonic()
        if now - self._last_request < KEYFRAME_REQUEST_INTERVAL:
            return
        sources = aiortc_adapter.media_ssrcs(self._receiver)
        if not sources:
            return  # nothing received yet: the first frame the source sends is a keyframe
        self._last_request = now
        self.keyframe_requests += 1
        for ssrc in sources:
            asyncio.ensure_future(aiortc_adapter.send_picture_loss(self._receiver, ssrc))


class _FrameRate:
    """Frames per second of a source, from its RTP timestamps over the last frames."""

    def __init__(self) -> None:
        self._stamps: collections.deque[int] = collections.deque(maxlen=RATE_WINDOW)

    def add(self, timestamp: int) -> None:
        self._stamps.append(timestamp)

    def reset(self) -> None:
        self._stamps.clear()

    @property
    def fps(self) -> float | None:
        if len(self._stamps) < RATE_WINDOW:
            return None
        span = self._stamps[-1] - self._stamps[0]
        return None if span <= 0 else (len(self._stamps) - 1) * 90000 / span


class _FeedTrack(MediaStreamTrack):
    """An outgoing track fed by the other side's `EncodedFeed`; the source can be replaced."""

    def __init__(self, forward: bool, inbox_limit: int) -> None:
        super().__init__()
        self._forward_allowed = forward
        self._inbox_limit = inbox_limit
        self._feed: EncodedFeed | None = None
        self._inbox: asyncio.Queue = asyncio.Queue()
        self._sender = None
        self._codec: str | None = None
        self.mode: str | None = None  # "forward", "transcode"; None: not started
        self._decoder = None
        self._start = time.monotonic()
        self._pts = -1
        self._anchor: tuple[int, int] | None = None  # (our pts, source timestamp)
        self.frames_forwarded = 0
        self.frames_transcoded = 0
        self.log: logging.Logger | logging.LoggerAdapter = logger

    @property
    def frames_sent(self) -> int:
        """Frames handed to the sender, forwarded or transcoded."""
        return self.frames_forwarded + self.frames_transcoded

    def attach_sender(self, sender, codec_name: str | None,
                      log: logging.LoggerAdapter | None = None) -> None:
        """The aiortc sender of this track, the codec it was negotiated to send, its log."""
        self._sender = sender
        self._codec = codec_name
        if log is not None:
            self.log = log

    def forget_sent(self) -> None:
        """Drop the sender's retransmission history (what it sent is of no use any more)."""
        if self._sender is not None:
            aiortc_adapter.forget_sent_packets(self._sender)

    def set_source(self, feed: EncodedFeed | None) -> None:
        """Send `feed`'s frames from now on (None: send nothing for now)."""
        if self._feed is not None:
            self._feed.unsubscribe(self)
        self._feed = feed
        self._drop_queued()
        if feed is not None and self.readyState == "live":
            feed.subscribe(self)

    def push(self, item: EncodedFrame | None) -> None:
        """A frame from the feed (None: the source ended)."""
        if self._inbox.qsize() >= self._inbox_limit:
            # The sender fell behind: drop what is queued and start again.
            self._drop_queued()
            if self._feed is not None and self.kind == "video":
                self._feed.request_keyframe()
        self._inbox.put_nowait(item)

    def _drop_queued(self) -> None:
        # The queue itself stays: `recv` may be waiting on it.
        while not self._inbox.empty():
            self._inbox.get_nowait()
        self._restart()

    def _restart(self) -> None:
        self.mode = None
        self._decoder = None
        self._anchor = None

    def _clock_pts(self, rate: int) -> int:
        now = int((time.monotonic() - self._start) * rate)
        return max(self._pts + 1, now)

    def _packet(self, item: EncodedFrame) -> av.Packet:
        """`item` as it came, stamped on our timeline with the source's own spacing."""
        rate = item.codec.clockRate
        source = item.frame.timestamp
        if self._anchor is None:
            self._anchor = (self._clock_pts(rate), source)
        anchor_pts, anchor_source = self._anchor
        self._pts = max(self._pts + 1, anchor_pts + (source - anchor_source))
        packet = av.Packet(item.frame.data)
        packet.pts = self._pts
        packet.time_base = fractions.Fraction(1, rate)
        self.frames_forwarded += 1
        return packet

    def stop(self) -> None:
        """End the track and leave its source."""
        self.set_source(None)
        super().stop()


class AudioForwardTrack(_FeedTrack):
    """The outgoing audio of one side: the other side's packets, forwarded or transcoded."""

    kind = "audio"

    def __init__(self, forward: bool = True) -> None:
        super().__init__(forward, AUDIO_INBOX_LIMIT)
        self._pending: collections.deque = collections.deque()

    def _drop_queued(self) -> None:
        super()._drop_queued()
        self._pending.clear()

    async def recv(self) -> av.Packet | AudioFrame:
        """The next packet (same codec both ways) or decoded frame for aiortc's sender."""
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._pending:
                return self._pending.popleft()
            item = await self._inbox.get()
            if item is None:
                self._restart()
                continue
            if self._forward_allowed and item.codec.name == self._codec:
                if self.mode != "forward":
                    self.mode, self._decoder, self._anchor = "forward", None, None
                return self._packet(item)
            if self.mode != "transcode":
                self.log.info("audio out: transcoding %s", item.codec.name)
                self.mode, self._decoder = "transcode", get_decoder(item.codec)
                self._pts = self._clock_pts(AUDIO_RATE)
            try:
                frames = self._decoder.decode(item.frame)  # small: on the loop
            except av.FFmpegError:
                continue
            for frame in frames:
                frame.pts = self._pts
                frame.time_base = fractions.Fraction(1, frame.sample_rate)
                self._pts += frame.samples
                self.frames_transcoded += 1
                self._pending.append(frame)


class VideoForwardTrack(_FeedTrack):
    """The outgoing video of one side: the other side's frames, forwarded or transcoded."""

    kind = "video"

    def __init__(self, max_width: int = 640, max_height: int = 480, max_fps: int = 15,
                 forward: bool = True) -> None:
        super().__init__(forward, INBOX_LIMIT)
        self._max = (max_width, max_height)
        self._max_fps = max_fps
        self._rate_cap = RateCap(max_fps)
        self._rate = _FrameRate()
        self._scaler = VideoReformatter()

    def _restart(self) -> None:
        super()._restart()
        self._rate.reset()

    async def recv(self) -> av.Packet | VideoFrame:
        """The next packet (forwarding) or picture (transcoding) for aiortc's sender."""
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            item = await self._inbox.get()
            if item is None:
                self._restart()
                continue
            self._rate.add(item.frame.timestamp)
            if item.keyframe or self.mode is None:
                if not self._choose_mode(item):
                    continue
            elif self.mode == "forward" and not self._rate_within_cap():
                self._feed.request_keyframe()  # switch to transcoding at the next keyframe
            if self.mode == "forward":
                return self._forward(item)
            frame = await self._decode(item)
            if frame is not None:
                return frame

    # -- choosing between forwarding and transcoding -------------------------------------
    def _rate_within_cap(self) -> bool:
        fps = self._rate.fps
        return fps is None or fps <= self._max_fps * RATE_TOLERANCE

    def _choose_mode(self, item: EncodedFrame) -> bool:
        """Set the mode at `item`; False if it cannot start there (wait for a keyframe)."""
        forward = (self._forward_allowed and item.keyframe
                   and item.codec.name == self._codec
                   and item.size[0] <= self._max[0] and item.size[1] <= self._max[1]
                   and self._rate_within_cap())
        if forward:
            if self.mode != "forward":
                self._anchor = None
                self.log.info("video out: forwarding %dx%d %s", *item.size, item.codec.name)
            self.mode = "forward"
            self._decoder = None
            return True
        if item.codec.name == "VP8" and not item.keyframe:
            self._feed.request_keyframe()  # VP8 decoding starts at a keyframe
            return False
        if self.mode != "transcode":
            self.log.info("video out: transcoding %s%s", item.codec.name,
                          f" {item.size[0]}x{item.size[1]}" if item.size else "")
            self.mode = "transcode"
            self._decoder = get_decoder(item.codec)
            self._anchor = None
            self._force_sender_keyframe()
        return True

    def _force_sender_keyframe(self) -> None:
        # After forwarded frames, the receiving side must not get an inter frame that refers
        # to our encoder's own earlier pictures.
        if self._sender is not None:
            aiortc_adapter.force_keyframe(self._sender)

    def _pass_on_picture_loss(self) -> None:
        """A keyframe request from the receiving side goes to the source while forwarding."""
        sender = self._sender
        if (sender is not None and aiortc_adapter.take_keyframe_request(sender)
                and self._feed is not None):
            self._feed.request_keyframe()

    # -- the two modes ----------------------------------------------------------------------
    def _forward(self, item: EncodedFrame) -> av.Packet:
        self._pass_on_picture_loss()
        return self._packet(item)

    async def _decode(self, item: EncodedFrame) -> VideoFrame | None:
        decoder = self._decoder
        loop = asyncio.get_running_loop()
        try:
            frames = await loop.run_in_executor(None, decoder.decode, item.frame)
        except av.FFmpegError as exc:
            self.log.warning("relayed video frame not decodable: %s", exc)
            self._restart()
            self._feed.request_keyframe()
            return None
        if decoder is not self._decoder or not frames:
            return None
        frame = frames[-1]
        if not self._rate_cap.allow(time.monotonic()):
            return None
        width, height = fit_within(frame.width, frame.height, *self._max)
        if (width, height) != (frame.width, frame.height):
            frame = self._scaler.reformat(frame, width=width, height=height)
        self._pts = self._clock_pts(90000)
        frame.pts = self._pts
        frame.time_base = VIDEO_TIME_BASE
        self.frames_transcoded += 1
        return frame

def prefer_codec(transceiver, name: str) -> str | None:
    """Negotiate only `name` (and its retransmissions) on a transceiver, if it was offered.

    Both legs then speak the same codec (VP8 for video, Opus for audio, which every browser
    offers) and frames can be forwarded as they are. Returns the codec the transceiver sends.
    """
    codecs = aiortc_adapter.negotiated_codecs(transceiver)
    chosen = [c for c in codecs if c.name.lower() == name.lower()]
    if chosen:
        types = {c.payloadType for c in chosen}
        codecs = chosen + [
            c for c in codecs if c.name == "rtx" and c.parameters.get("apt") in types]
        aiortc_adapter.restrict_codecs(transceiver, codecs)
    return codecs[0].name if codecs else None
