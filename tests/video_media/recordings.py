"""Recordings made without a network: encoded frames handed to the recorder at chosen moments,
and the checks a recording must pass (ffprobe, and playing in headless Chromium)."""
from __future__ import annotations

import array
import fractions
import json
import math
import shutil
import subprocess
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av

from assessment_video.forwarding import EncodedFrame, vp8_keyframe_size
from assessment_video.remux import PacketRecorder

from .synthetic import pattern_picture, vp8_packets

VP8 = types.SimpleNamespace(name="VP8", clockRate=90000, mimeType="video/VP8")
OPUS = types.SimpleNamespace(name="opus", clockRate=48000, mimeType="audio/opus")
CHROMIUM = "/usr/bin/chromium"


class FakeFeed:
    """What the recorder needs of an EncodedFeed: subscriptions and keyframe requests."""

    def __init__(self) -> None:
        self.subscribers: list = []
        self.requests = 0

    def subscribe(self, sink) -> None:
        self.subscribers.append(sink)

    def unsubscribe(self, sink) -> None:
        self.subscribers.remove(sink)

    def request_keyframe(self) -> None:
        self.requests += 1


def opus_tone(hz: float, packets: int) -> list[bytes]:
    """`packets` × 20 ms of a tone, encoded by libopus as a browser would (48 kHz mono)."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "mono", "s16"
    encoder.time_base = fractions.Fraction(1, 48000)
    out: list[bytes] = []
    for i in range(packets):
        frame = av.AudioFrame(format="s16", layout="mono", samples=960)
        frame.sample_rate = 48000
        frame.planes[0].update(array.array("h", (
            int(9000 * math.sin(2 * math.pi * hz * (i * 960 + j) / 48000)) for j in range(960)
        )).tobytes())
        frame.pts, frame.time_base = i * 960, fractions.Fraction(1, 48000)
        out += [bytes(p) for p in encoder.encode(frame)]
    return out


def video_items(count: int, width: int = 320, height: int = 240, gop: int = 30,
                first_timestamp: int = 0) -> list[EncodedFrame]:
    """`count` VP8 frames at 15 fps (6000 apart on the 90 kHz clock), a keyframe every `gop`."""
    pictures = [pattern_picture(width, height, i) for i in range(count)]
    out = []
    for i, data in enumerate(vp8_packets(pictures, width, height, 300_000, gop=gop)[:count]):
        size = vp8_keyframe_size(data)
        frame = types.SimpleNamespace(data=data, timestamp=first_timestamp + i * 6000)
        out.append(EncodedFrame(VP8, frame, size is not None, size))
    return out


def audio_items(packets: list[bytes], first_timestamp: int = 0) -> list[EncodedFrame]:
    """Opus packets 20 ms apart on the 48 kHz clock."""
    return [EncodedFrame(OPUS, types.SimpleNamespace(data=data, timestamp=first_timestamp
                                                     + i * 960), False, None)
            for i, data in enumerate(packets)]


class Log:
    """A logger adapter that keeps nothing."""

    def info(self, *args, **kwargs) -> None:
        pass

    exception = warning = error = info


def record(path: Path, schedule: list[tuple[float, str, EncodedFrame]],
           width: int = 640, height: int = 480, close: bool = True) -> PacketRecorder:
    """Hand the recorder each (seconds after start, slot, frame) in time order."""
    recorder = PacketRecorder(path, width, height, Log())
    feeds = {slot: FakeFeed() for slot in ("video", "audio_guardian", "audio_doctor")}
    for slot, feed in feeds.items():
        recorder.attach(slot, feed)
    for at, slot, item in sorted(schedule, key=lambda entry: entry[0]):
        recorder.write(feeds[slot].subscribers[0], item, recorder.t0 + at)
    if close:
        recorder._close()
    recorder.feeds = feeds
    return recorder


def steady(seconds: float, video: bool = True, voices=(440.0, 330.0),
           jitter: float = 0.0) -> list[tuple[float, str, EncodedFrame]]:
    """`seconds` of the applicant's video and both voices, arriving on time (± `jitter`)."""
    schedule = []
    if video:
        for i, item in enumerate(video_items(int(seconds * 15))):
            schedule.append((i / 15 + (jitter if i % 3 == 1 else 0.0), "video", item))
    for slot, hz in zip(("audio_guardian", "audio_doctor"), voices, strict=True):
        for i, item in enumerate(audio_items(opus_tone(hz, int(seconds * 50)))):
            schedule.append((0.005 + i * 0.02, slot, item))
    return schedule


def ffprobe(path: Path) -> dict | None:
    """ffprobe's view of the file (None where ffprobe is not installed)."""
    binary = shutil.which("ffprobe")
    if binary is None:
        return None
    entries = ("format=format_name,duration:stream=codec_name,codec_type,width,height,"
               "channels,nb_read_packets:stream_tags=title")
    result = subprocess.run(
        [binary, "-v", "error", "-count_packets", "-show_entries", entries, "-of", "json",
         str(path)],
        capture_output=True, text=True, check=True, timeout=60)
    return json.loads(result.stdout)


def check_with_ffprobe(data: bytes, folder: Path, duration: float, frames: int | None = None,
                       tolerance: float = 1.0) -> None:
    """A stored recording, written to `folder`, has the three tracks, `frames` pictures and
    lasts `duration` seconds as ffprobe sees it (nothing checked without ffprobe)."""
    path = folder / "probed.webm"
    path.write_bytes(data)
    probe = ffprobe(path)
    if probe is None:
        return
    assert [(s["codec_name"], s.get("tags", {}).get("title")) for s in probe["streams"]] == [
        ("vp8", "applicant"), ("opus", "applicant"), ("opus", "doctor")]
    if frames is not None:
        assert int(probe["streams"][0]["nb_read_packets"]) == frames
    assert abs(float(probe["format"]["duration"]) - duration) <= tolerance, probe["format"]


def play_in_chromium(path: Path, seconds: float = 20.0) -> dict:
    """Play `path` in a <video> of headless Chromium to its end; what the element reports.

    Run in a thread of its own: Playwright's sync API refuses a thread with a running loop.
    """
    def run() -> dict:
        from playwright.sync_api import sync_playwright

        page_file = path.with_suffix(".html")
        page_file.write_text(f'<!doctype html><video id="v" src="{path.name}" muted></video>')
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True,
                args=["--no-sandbox", "--disable-gpu", "--allow-file-access-from-files",
                      "--autoplay-policy=no-user-gesture-required"])
            try:
                page = browser.new_page()
                page.goto(page_file.as_uri())
                return page.evaluate("""async (limit) => {
                  const v = document.getElementById('v');
                  const loaded = new Promise((ok, ko) => {
                    v.onloadedmetadata = ok; v.onerror = () => ko(v.error && v.error.code); });
                  if (v.readyState < 1) { await loaded; }
                  const duration = v.duration;
                  v.playbackRate = 2;
                  const ended = new Promise((ok) => { v.onended = ok; });
                  await v.play();
                  await Promise.race([ended, new Promise((ok) => setTimeout(ok, limit))]);
                  return {duration: duration, ended: v.ended, time: v.currentTime,
                          width: v.videoWidth, height: v.videoHeight,
                          error: v.error && v.error.code,
                          frames: v.getVideoPlaybackQuality().totalVideoFrames,
                          audioBytes: v.webkitAudioDecodedByteCount,
                          videoBytes: v.webkitVideoDecodedByteCount};
                }""", seconds * 1000)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def chromium_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return Path(CHROMIUM).exists()
