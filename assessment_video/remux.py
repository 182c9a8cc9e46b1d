"""The evidence recording as received: the browsers' own VP8 and Opus packets, remuxed into WebM.

Nothing is decoded or encoded: each encoded frame the service receives (the applicant's VP8,
the applicant's Opus, the doctor's Opus) is written into a Matroska/WebM file as it came, so
the doctor's judgement rests on the very picture the applicant's phone sent (no generation
loss), and the recording costs a few microseconds of CPU per packet.

Tracks: 1 the applicant's VP8 video, 2 the applicant's voice (Opus, "applicant"), 3 the
doctor's voice (Opus, "doctor"). Two voice tracks, not one mixed track: mixing needs decoding
both voices and encoding the mix (the CPU this module exists to avoid), and it would lose
each voice as it was sent and which side said what. Browsers play the first audio track of a
file (the applicant's); the MP4 made afterwards for download (`mp4_export.py`) mixes both.

Timestamps: each source's RTP timestamps are placed on the recording's millisecond clock by
its own `Timeline` (first frame where it arrived, then the sender's own spacing, drift caught
up). The file opens at the applicant's first keyframe (its size is the track's size); audio
that came before is kept and written then. An applicant without video (audio only, gone,
or not yet at a keyframe) gets a black VP8 keyframe once a second so the picture and the
sound keep one timeline; real video then starts at a keyframe (asked for with a picture-loss
request). A stream that merely stalls is left as it is: players hold its last picture.

Crash safety: a cluster at least every second, each flushed to the spool file as written;
after a kill, `repair_webm` copies the complete packets into a clean file (cues, duration).
"""
from __future__ import annotations

import fractions
import functools
import logging
import os
import time
from pathlib import Path

import av

from .relay import yuv420p_frame
from .timeline import Timeline, opus_samples

AUDIO_SLOTS = ("audio_guardian", "audio_doctor")
TITLES = {"audio_guardian": "applicant", "audio_doctor": "doctor"}
MS = fractions.Fraction(1, 1000)
FILL_AFTER = 2.0  # seconds without the applicant's video before black pictures stand in
FILL_EVERY = 1.0  # seconds between two black pictures
CLUSTER_MS = 1000  # a Matroska cluster (what a crash can lose) is at most this long
CONTENT_TYPE = "video/webm"


@functools.lru_cache(maxsize=8)
def black_keyframe(width: int, height: int) -> bytes:
    """One black VP8 keyframe of `width` × `height` (encoded once per size)."""
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
    encoder.time_base = fractions.Fraction(1, 90000)
    encoder.bit_rate = 100_000
    luma = bytes([16]) * (width * height)
    chroma = bytes([128]) * (width * height // 2)
    frame = yuv420p_frame(luma + chroma, width, height)
    frame.pts = 0
    packets = [bytes(p) for p in encoder.encode(frame)] + [
        bytes(p) for p in encoder.encode(None)]
    return packets[0]


class _Sink:
    """What a source's `EncodedFeed` sees of the recorder: one slot's subscriber."""

    def __init__(self, recorder: PacketRecorder, slot: str, feed) -> None:
        self.kind = "video" if slot == "video" else "audio"
        self.slot = slot
        self.feed = feed
        self.timeline = Timeline(recorder.t0, 90000 if slot == "video" else 48000)
        self.wants_keyframe = self.kind == "video"
        self.ended = False  # the source's receiver stopped (its side left or went audio only)
        self._recorder = recorder

    def push(self, item) -> None:
        if item is None:
            self.ended = True
        else:
            self._recorder.write(self, item, time.monotonic())


class PacketRecorder:
    """Records the applicant's video and both voices, packets as received, into `path`.

    `attach(slot, feed)` subscribes to a source's `EncodedFeed` (again after a rejoin);
    everything runs on the event loop (muxing a packet costs microseconds).
    """

    content_type = CONTENT_TYPE

    def __init__(self, path: Path, max_width: int, max_height: int,
                 log: logging.LoggerAdapter) -> None:
        self.path = path
        self._max = (max_width, max_height)
        self._log = log
        self.t0 = time.monotonic()
        self._sinks: dict[str, _Sink] = {}
        self._container: av.container.OutputContainer | None = None
        self._streams: dict[str, av.stream.Stream] = {}
        self._last_ms: dict[str, int] = {}
        self._pending: list[tuple[str, bytes, int, int]] = []  # audio before the file opened
        self._last_video = self.t0
        self._size = (max_width, max_height)
        self.video_frames = 0
        self.filler_frames = 0
        self.error: str | None = None
        self._finished = False

    # -- sources ---------------------------------------------------------------------
    def attach(self, slot: str, feed) -> None:
        """Record `feed` (an EncodedFeed) in `slot`: "video" or an AUDIO_SLOTS entry."""
        self.detach(slot)
        if self._finished or feed is None:
            return
        sink = _Sink(self, slot, feed)
        self._sinks[slot] = sink
        feed.subscribe(sink)  # a video feed is asked for a keyframe

    def detach(self, slot: str) -> None:
        """Stop recording whatever feeds `slot` (the slot's timeline goes on)."""
        sink = self._sinks.pop(slot, None)
        if sink is not None:
            sink.feed.unsubscribe(sink)

    async def finish(self, drain: float = 0.0) -> None:
        """Stop every input and close the file (`drain` kept for the recorders' one API)."""
        if self._finished:
            return
        self._finished = True
        for slot in list(self._sinks):
            self.detach(slot)
        self._guard(self._close)

    # -- writing ---------------------------------------------------------------------
    def write(self, sink: _Sink, item, now: float) -> None:
        """One encoded frame of `sink`'s source, arrived at `now`."""
        if self.error or self._finished:
            return
        self._guard(self._write, sink, item, now)

    def _guard(self, write, *args) -> None:
        try:
            write(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the portal, not swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self._log.exception("recording failed")

    def _write(self, sink: _Sink, item, now: float) -> None:
        data = item.frame.data
        if sink.kind == "video":
            if sink.wants_keyframe and not item.keyframe:
                sink.feed.request_keyframe()  # a picture can only start at a keyframe
                return
            sink.wants_keyframe = False
            ms = sink.timeline.pts_ms(item.frame.timestamp, now)
            if self._container is None:
                self._open(item.size or self._max)
            self._mux("video", data, ms, 0, item.keyframe)
            self._last_video = now
            self.video_frames += 1
            return
        ms = sink.timeline.pts_ms(item.frame.timestamp, now)
        duration = opus_samples(data) // 48
        if self._container is None:
            if now - self.t0 < FILL_AFTER:
                self._pending.append((sink.slot, data, ms, duration))
                return
            self._open(self._max)
        if now - self._last_video >= FILL_EVERY and self._video_missing():
            self._fill(now)
        self._mux(sink.slot, data, ms, duration, True)

    def _video_missing(self) -> bool:
        """No picture can come now: no camera, its side gone, or waiting for a keyframe. (A
        live stream that stalls is left alone: players hold its last picture.)"""
        sink = self._sinks.get("video")
        return sink is None or sink.ended or sink.wants_keyframe

    def _fill(self, now: float) -> None:
        """A black picture where the applicant's video is missing; theirs restarts at a key."""
        width, height = self._size
        self._mux("video", black_keyframe(width, height), round((now - self.t0) * 1000), 0, True)
        self._last_video = now
        self.video_frames += 1
        self.filler_frames += 1
        sink = self._sinks.get("video")
        if sink is not None and not sink.wants_keyframe:
            sink.wants_keyframe = True  # its next inter frame would refer to a lost picture
            sink.feed.request_keyframe()

    def _mux(self, slot: str, data: bytes, ms: int, duration: int, keyframe: bool) -> None:
        ms = max(self._last_ms.get(slot, -1) + 1, ms)
        self._last_ms[slot] = ms
        packet = av.Packet(data)
        packet.stream = self._streams[slot]
        packet.pts = packet.dts = ms
        packet.time_base = MS
        if duration:
            packet.duration = duration
        packet.is_keyframe = keyframe
        self._container.mux(packet)

    def _open(self, size: tuple[int, int]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(self.path), mode="w", format="webm", options={
            "cluster_time_limit": str(CLUSTER_MS), "flush_packets": "1",
            "max_interleave_delta": str(CLUSTER_MS * 1000)})
        width, height = size
        video = container.add_mux_stream("vp8", width=width, height=height)
        video.metadata["title"] = "applicant"
        self._streams["video"] = video
        for slot in AUDIO_SLOTS:
            # An encoder context only to write Opus's header (OpusHead); it encodes nothing.
            audio = container.add_stream("libopus", rate=48000)
            audio.codec_context.layout = "stereo"
            audio.metadata["title"] = TITLES[slot]
            self._streams[slot] = audio
        self._container = container
        self._size = size
        self._last_video = 0.0  # opened by audio: a black picture at once
        self._log.info("recording opened %dx%d (packets as received)", width, height)
        pending, self._pending = self._pending, []
        for slot, data, ms, duration in pending:
            self._mux(slot, data, ms, duration, True)

    def _close(self) -> None:
        if self._container is None:
            return
        container, self._container = self._container, None
        container.close()


def repair_webm(path: Path) -> int:
    """Rewrite a WebM cut by a crash into a clean file of its complete packets; their count.

    The demuxer reads up to the cut; the copy gets cues and a duration, so players can seek.
    """
    tmp = path.with_suffix(".repair.webm")
    count = 0
    with av.open(str(path)) as source, av.open(str(tmp), mode="w", format="webm") as target:
        streams = {s.index: target.add_stream_from_template(s, opaque=True) for s in source.streams
                   if s.type in ("video", "audio")}
        for s in source.streams:
            if s.index in streams:
                streams[s.index].metadata.update(s.metadata)
        try:
            for packet in source.demux(*[s for s in source.streams if s.index in streams]):
                if packet.dts is None or packet.size == 0:
                    continue
                packet.stream = streams[packet.stream.index]
                target.mux(packet)
                count += 1
        except (av.error.FFmpegError, EOFError):
            pass  # the cut: what came before it is kept
    os.replace(tmp, path)
    return count
