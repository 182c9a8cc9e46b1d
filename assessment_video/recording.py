"""The transcoding recorder (MEDIA_RECORD_MODE=transcode): decoded pictures and sound,
re-encoded (x264, AAC) into fragmented MP4.

The service records packets as received (`remux.py`); this recorder is the earlier way, kept
behind the setting so `bench/video_sessions.py --compare` can measure both in one run, and
for a deployment that must hand out MP4 straight away.

Why not aiortc's MediaRecorder: with PyAV 18 it can open the video codec before the first
video frame and then drops all video. Here the container opens at the first video frame (or,
for an audio-only applicant, after FILL_AFTER seconds with black frames once a second), the
output size is fixed (later frames are rescaled), timestamps come from the wall clock on a
90 kHz time base (relayed frames' pts are rewritten by encoders and cannot be trusted), and
errors are kept and reported instead of being swallowed.

Audio: two AAC tracks, first the applicant's (guardian side), then the doctor's; gaps (a side
left and rejoined) are filled with silence so each track stays aligned with the video.
Crash safety: fragmented MP4 (a fragment per keyframe, a keyframe every 2 s), packets flushed
to disk as they are muxed; `trim_incomplete_tail` cuts a half-written last fragment.
"""
from __future__ import annotations

import asyncio
import fractions
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from av.video.reformatter import VideoReformatter

from .relay import RateCap, fit_within, yuv420p_frame

MOVFLAGS = "frag_keyframe+empty_moov+default_base_moof"
AUDIO_RATE = 48000
AUDIO_SLOTS = ("audio_guardian", "audio_doctor")
AUDIO_TOLERANCE = int(0.3 * AUDIO_RATE)  # drift allowed before filling silence or dropping
FILL_AFTER = 2.0  # seconds without any video before black frames stand in for it


def _owned_copy(scaler: VideoReformatter, frame: VideoFrame, width: int,
                height: int) -> VideoFrame:
    """A yuv420p frame of the given size that no other consumer shares.

    `frame.reformat` would use a scaler cached on the (shared) frame; two threads scaling the
    same relayed frame at once crash FFmpeg, so each consumer brings its own scaler.
    """
    out = scaler.reformat(frame, width=width, height=height, format="yuv420p")
    if out is not frame:
        return out
    chunks = []
    for plane in frame.planes:
        row = plane.width
        data = memoryview(plane)
        if plane.line_size == row:
            chunks.append(bytes(data[: row * plane.height]))
        else:
            chunks.extend(bytes(data[y * plane.line_size: y * plane.line_size + row])
                          for y in range(plane.height))
    return yuv420p_frame(b"".join(chunks), width, height)


def _black(width: int, height: int) -> VideoFrame:
    luma = bytes([16]) * (width * height)
    chroma = bytes([128]) * (width * height // 2)
    return yuv420p_frame(luma + chroma, width, height)


def _silence(samples: int) -> AudioFrame:
    frame = AudioFrame(format="fltp", layout="stereo", samples=samples)
    for plane in frame.planes:
        plane.update(bytes(plane.buffer_size))
    frame.sample_rate = AUDIO_RATE
    return frame


class Recorder:
    """Records attached tracks into `path`; `attach` may be called again on rejoin."""

    content_type = "video/mp4"

    def __init__(self, path: Path, max_width: int, max_height: int, fps: int,
                 log: logging.LoggerAdapter, preset: str = "veryfast") -> None:
        self.path = path
        self._preset = preset
        self._max = (max_width, max_height)
        self._fps = fps
        self._log = log
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recorder")
        self._pumps: dict[str, tuple[asyncio.Task, MediaStreamTrack]] = {}
        self._resamplers: dict[str, av.AudioResampler] = {}
        self._scaler = VideoReformatter()
        self._container: av.container.OutputContainer | None = None
        self._streams: dict[str, av.stream.Stream] = {}
        self._size = (0, 0)
        self._started = time.monotonic()
        self._t0 = 0.0
        self._video_pts = -1
        self._last_video = 0.0
        self._audio_pts: dict[str, int | None] = dict.fromkeys(AUDIO_SLOTS)
        self.video_frames = 0
        self.error: str | None = None
        self._finished = False

    # -- event-loop side -------------------------------------------------------------
    def attach(self, slot: str, track: MediaStreamTrack) -> None:
        """Record `track` (a relay subscription) in `slot`: "video" or an AUDIO_SLOTS entry."""
        self.detach(slot)
        if self._finished:
            track.stop()
            return
        self._pumps[slot] = (asyncio.ensure_future(self._pump(slot, track)), track)

    def detach(self, slot: str) -> None:
        """Stop recording whatever feeds `slot` (the slot's timeline goes on)."""
        old = self._pumps.pop(slot, None)
        if old is not None:
            old[0].cancel()
            old[1].stop()

    async def _pump(self, slot: str, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        rate = RateCap(self._fps)
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            now = time.monotonic()
            if self.error:
                continue
            if slot == "video":
                if not rate.allow(now):
                    continue
                await loop.run_in_executor(self._executor, self._guard, self._write_video,
                                           frame, now)
            else:
                resampler = self._resamplers.setdefault(slot, av.AudioResampler(
                    format="fltp", layout="stereo", rate=AUDIO_RATE))
                frames = resampler.resample(frame)  # new frames: the relayed one is shared
                await loop.run_in_executor(self._executor, self._guard, self._write_audio,
                                           slot, frames, now)

    async def finish(self, drain: float = 0.0) -> None:
        """Stop every input (after up to `drain` s of writing queued frames), close the file."""
        if self._finished:
            return
        self._finished = True
        pumps = [task for task, _track in self._pumps.values()]
        if pumps and drain:
            # The sources have ended (peers closed): write what is still queued.
            await asyncio.wait(pumps, timeout=drain)
        for slot in list(self._pumps):
            self.detach(slot)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._guard, self._close)
        self._executor.shutdown(wait=False)

    # -- writer thread ---------------------------------------------------------------
    def _guard(self, write, *args) -> None:
        if self.error:
            return
        try:
            write(*args)
        except Exception as exc:  # noqa: BLE001 - reported to the portal, not swallowed
            self.error = f"{type(exc).__name__}: {exc}"
            self._log.exception("recording failed")

    def _open(self, width: int, height: int, now: float) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        container = av.open(str(self.path), mode="w", format="mp4",
                            options={"movflags": MOVFLAGS, "flush_packets": "1"})
        video = container.add_stream("libx264", rate=self._fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.time_base = fractions.Fraction(1, 90000)
        video.codec_context.time_base = fractions.Fraction(1, 90000)
        video.codec_context.gop_size = 2 * self._fps
        video.codec_context.options = {"preset": self._preset, "tune": "zerolatency"}
        self._streams["video"] = video
        for slot in AUDIO_SLOTS:
            audio = container.add_stream("aac", rate=AUDIO_RATE)
            audio.codec_context.layout = "stereo"
            audio.codec_context.bit_rate = 64000
            audio.metadata["title"] = "applicant" if slot == "audio_guardian" else "doctor"
            self._streams[slot] = audio
        self._container = container
        self._size = (width, height)
        self._t0 = now
        self._log.info("recording opened %dx%d", width, height)

    def _encode(self, slot: str, frame) -> None:
        stream = self._streams[slot]
        for packet in stream.encode(frame):
            self._container.mux(packet)

    def _write_video(self, frame: VideoFrame, now: float) -> None:
        if self._container is None:
            self._open(*fit_within(frame.width, frame.height, *self._max), now)
        own = _owned_copy(self._scaler, frame, *self._size)
        self._put_video(own, now)

    def _put_video(self, frame: VideoFrame, now: float) -> None:
        self._video_pts = max(self._video_pts + 1, int((now - self._t0) * 90000))
        frame.pts = self._video_pts
        frame.time_base = fractions.Fraction(1, 90000)
        self._encode("video", frame)
        self._last_video = now
        self.video_frames += 1

    def _write_audio(self, slot: str, frames: list[AudioFrame], now: float) -> None:
        if self._container is None:
            if now - self._started < FILL_AFTER:
                return
            self._open(*self._max, now)
        if now - self._last_video >= 1.0:
            self._put_video(_black(*self._size), now)
        position = int((now - self._t0) * AUDIO_RATE)
        pts = self._audio_pts[slot]
        if pts is None:
            pts = max(0, position)
        if position - pts > AUDIO_TOLERANCE:
            while pts < position:
                gap = _silence(min(1024, position - pts))
                gap.pts, gap.time_base = pts, fractions.Fraction(1, AUDIO_RATE)
                self._encode(slot, gap)
                pts += gap.samples
        elif pts - position > AUDIO_TOLERANCE:
            return
        for frame in frames:
            frame.pts, frame.time_base = pts, fractions.Fraction(1, AUDIO_RATE)
            self._encode(slot, frame)
            pts += frame.samples
        self._audio_pts[slot] = pts

    def _close(self) -> None:
        if self._container is None:
            return
        for slot, stream in self._streams.items():
            if slot == "video" or self._audio_pts.get(slot) is not None:
                for packet in stream.encode(None):
                    self._container.mux(packet)
        self._container.close()
        self._container = None
