"""The recording as received: packets remuxed into WebM, its timeline, crash repair, the MP4
copy made afterwards, and the file playing in headless Chromium and passing ffprobe."""
from __future__ import annotations

import array

import av
import pytest

from assessment_video.mp4_export import export_mp4
from assessment_video.remux import black_keyframe
from assessment_video.spool import make_whole, probe_recording
from assessment_video.timeline import Timeline, opus_samples

from .recordings import (
    audio_items,
    chromium_available,
    ffprobe,
    opus_tone,
    play_in_chromium,
    record,
    steady,
    video_items,
)


def packets(path, kind: str) -> list[av.Packet]:
    with av.open(str(path)) as container:
        streams = [s for s in container.streams if s.type == kind]
        return [(p.stream.index, bytes(p), p.pts, p.is_keyframe)
                for p in container.demux(*streams) if p.size]


# -- the timeline ----------------------------------------------------------------------------
def test_timeline_keeps_the_senders_spacing_through_jitter_and_a_burst():
    line = Timeline(t0=100.0, clock_rate=90000)
    stamps = []
    for i in range(30):  # 15 fps, every other frame 60 ms late
        stamps.append(line.pts_ms(i * 6000, 100.5 + i / 15 + (0.06 if i % 2 else 0)))
    # A 2-s stall, then the 30 frames sent meanwhile arrive in one burst.
    for i in range(30, 60):
        stamps.append(line.pts_ms(i * 6000, 100.5 + 62 / 15 + (i - 30) * 0.001))
    assert stamps[0] == 500  # the first frame is placed where it arrived
    assert stamps == [500 + round(i * 1000 / 15) for i in range(60)]
    assert line.reanchored == 0


def test_timeline_catches_up_a_sender_whose_clock_drifts():
    line = Timeline(t0=0.0, clock_rate=48000)
    # The sender's clock runs 2 % slow: its timestamps fall 0.3 s behind every 15 s.
    worst = 0
    for i in range(2000):
        at = line.pts_ms(int(i * 960 * 0.98), i * 0.02)
        worst = max(worst, i * 20 - at)
    assert line.reanchored >= 1
    assert worst <= 420  # the drift limit, plus the window it takes to be sure


def test_opus_packet_lengths_from_the_toc_byte():
    assert opus_samples(bytes([0xF8, 1, 2])) == 960  # CELT 20 ms, one frame
    assert opus_samples(bytes([0x01 << 3 | 1])) == 1920  # SILK 20 ms (config 1), two frames
    assert opus_samples(bytes([0x03 << 3 | 3, 3])) == 2880 * 2  # capped at 120 ms
    assert opus_samples(b"") == 0
    assert all(opus_samples(p) == 960 for p in opus_tone(440, 3))


# -- the recording ---------------------------------------------------------------------------
def test_the_recording_holds_the_packets_exactly_as_received(tmp_path):
    path = tmp_path / "r.webm"
    schedule = steady(4.0, jitter=0.05)
    record(path, schedule)
    sent = {"video": [i.frame.data for _, s, i in schedule if s == "video"],
            "audio_guardian": [i.frame.data for _, s, i in schedule if s == "audio_guardian"],
            "audio_doctor": [i.frame.data for _, s, i in schedule if s == "audio_doctor"]}
    video = packets(path, "video")
    audio = packets(path, "audio")
    assert [data for _, data, _, _ in video] == sent["video"]  # no generation loss
    assert [d for index, d, _, _ in audio if index == 1] == sent["audio_guardian"]
    assert [d for index, d, _, _ in audio if index == 2] == sent["audio_doctor"]
    assert [k for *_, k in video][:31] == [True] + [False] * 29 + [True]
    stamps = [pts for _, _, pts, _ in video]
    assert stamps[:4] == [0, 67, 133, 200]  # the sender's spacing, not the 50 ms jitter
    facts = probe_recording(path)
    assert facts == {"duration_seconds": pytest.approx(4.0, abs=0.1), "video_frames": 60,
                     "audio": True}
    with av.open(str(path)) as container:
        titles = [s.metadata.get("title") for s in container.streams]
    assert titles == ["applicant", "applicant", "doctor"]


def test_ffprobe_accepts_the_recording_with_its_duration_and_streams(tmp_path):
    path = tmp_path / "r.webm"
    record(path, steady(5.0))
    probe = ffprobe(path)
    if probe is None:
        pytest.skip("ffprobe is not installed (apt-get install ffmpeg); PyAV checks above")
    assert "webm" in probe["format"]["format_name"]
    assert float(probe["format"]["duration"]) == pytest.approx(5.0, abs=0.1)
    streams = [(s["codec_type"], s["codec_name"], s.get("tags", {}).get("title"),
                int(s["nb_read_packets"])) for s in probe["streams"]]
    assert streams == [("video", "vp8", "applicant", 75), ("audio", "opus", "applicant", 250),
                       ("audio", "opus", "doctor", 250)]
    assert (probe["streams"][0]["width"], probe["streams"][0]["height"]) == (320, 240)


def test_a_recording_starts_at_a_keyframe_and_asks_for_one(tmp_path):
    path = tmp_path / "r.webm"
    frames = video_items(40, gop=30)  # keyframes at 0 and 30
    schedule = [(i / 15, "video", item) for i, item in enumerate(frames) if i >= 10]
    recorder = record(path, schedule)
    assert recorder.feeds["video"].requests == 20  # each inter frame before the key asked
    video = packets(path, "video")
    assert len(video) == 10 and video[0][3] is True and video[0][2] == 2000


def test_an_applicant_without_video_gets_a_black_picture_every_second(tmp_path):
    path = tmp_path / "r.webm"
    schedule = [entry for entry in steady(6.0) if entry[1] != "video"]
    # Their camera comes on at 4.5 s with an inter frame, then a keyframe.
    late = video_items(31, gop=30)[28:]  # inter, inter, key
    schedule += [(4.5 + i / 15, "video", item) for i, item in enumerate(late)]
    recorder = record(path, schedule)
    video = packets(path, "video")
    fillers = [pts for _, data, pts, _ in video if data == black_keyframe(640, 480)]
    assert recorder.filler_frames == len(fillers) >= 2
    assert fillers[0] == pytest.approx(2000, abs=30)  # after FILL_AFTER seconds
    real = [entry for entry in video if entry[1] != black_keyframe(640, 480)]
    assert [d for _, d, _, _ in real] == [late[2].frame.data]  # from the keyframe on
    with av.open(str(path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == len(video)


def test_a_stalled_picture_is_held_not_blacked_out(tmp_path):
    """A weak link stalls the applicant's video for 2.5 s: no black pictures, no keyframe
    requests; the frames sent meanwhile keep their own times when they come."""
    path = tmp_path / "r.webm"
    schedule = [entry for entry in steady(6.0) if entry[1] != "video"]
    frames = video_items(90)
    schedule += [(i / 15 if not 30 <= i < 68 else 4.5 + (i - 30) * 0.0005, "video", item)
                 for i, item in enumerate(frames)]
    recorder = record(path, schedule)
    assert recorder.filler_frames == 0 and recorder.feeds["video"].requests == 0
    video = packets(path, "video")
    assert [d for _, d, _, _ in video] == [i.frame.data for i in frames]
    assert [pts for _, _, pts, _ in video] == [round(i * 1000 / 15) for i in range(90)]


def test_a_video_that_ends_gets_black_pictures_until_the_next_one(tmp_path):
    path = tmp_path / "r.webm"
    schedule = [entry for entry in steady(5.0) if entry[1] != "video"]
    schedule += [(i / 15, "video", item) for i, item in enumerate(video_items(30))]
    recorder = record(path, schedule, close=False)
    # The applicant switched to audio only at 2 s: their video receiver stopped.
    assert recorder.filler_frames == 0
    recorder.feeds["video"].subscribers[0].ended = True
    for at, slot, item in [e for e in steady(8.0) if e[1] != "video" and e[0] >= 5.0]:
        recorder.write(recorder.feeds[slot].subscribers[0], item, recorder.t0 + at)
    recorder._close()
    assert recorder.filler_frames == 3  # at 5, 6 and 7 s


def test_a_recording_cut_by_a_crash_is_repaired_up_to_the_cut(tmp_path):
    path = tmp_path / "r.webm"
    record(path, steady(6.0), close=False)  # never closed: what a SIGKILL leaves
    size = path.stat().st_size
    with path.open("r+b") as fh:  # and the last cluster half written
        fh.truncate(size - 3000)
    kept = make_whole(path, closed=False)
    assert 0 < kept
    facts = probe_recording(path)
    assert 4.0 <= facts["duration_seconds"] <= 6.0 and facts["video_frames"] >= 60
    with av.open(str(path)) as container:
        assert container.duration is not None  # the repaired file knows its duration
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == facts["video_frames"]
    probe = ffprobe(path)
    if probe is not None:
        assert float(probe["format"]["duration"]) == pytest.approx(facts["duration_seconds"],
                                                                   abs=0.1)


@pytest.mark.skipif(not chromium_available(), reason="Chromium or Playwright is missing")
def test_the_recording_plays_in_chromium_with_its_duration(tmp_path):
    path = tmp_path / "recording.webm"
    record(path, steady(4.0))
    played = play_in_chromium(path)
    assert played["error"] is None, played
    assert played["duration"] == pytest.approx(4.0, abs=0.1)
    assert played["ended"] and played["time"] == pytest.approx(4.0, abs=0.1)
    assert (played["width"], played["height"]) == (320, 240)
    assert played["frames"] >= 50 and played["audioBytes"] > 0, played


@pytest.mark.skipif(not chromium_available(), reason="Chromium or Playwright is missing")
def test_a_repaired_recording_plays_in_chromium(tmp_path):
    path = tmp_path / "recording.webm"
    record(path, steady(5.0), close=False)
    make_whole(path, closed=False)
    facts = probe_recording(path)
    played = play_in_chromium(path)
    assert played["error"] is None and played["ended"], played
    assert played["duration"] == pytest.approx(facts["duration_seconds"], abs=0.1)


# -- the MP4 copy ----------------------------------------------------------------------------
def _loudness(samples: list[float]) -> float:
    return (sum(s * s for s in samples) / max(1, len(samples))) ** 0.5


def test_the_mp4_copy_has_h264_and_both_voices_mixed(tmp_path):
    source, copy = tmp_path / "r.webm", tmp_path / "r.mp4"
    schedule = [entry for entry in steady(4.0) if entry[1] == "video"]
    # The applicant speaks in the first two seconds, the doctor in the last two.
    schedule += [(0.005 + i * 0.02, "audio_guardian", item)
                 for i, item in enumerate(audio_items(opus_tone(440, 100)))]
    schedule += [(2.005 + i * 0.02, "audio_doctor", item)
                 for i, item in enumerate(audio_items(opus_tone(330, 100)))]
    record(source, schedule)
    export_mp4(source, copy)
    with av.open(str(copy)) as container:
        kinds = [(s.type, s.codec_context.name) for s in container.streams]
        assert kinds == [("video", "h264"), ("audio", "aac")]
        video_frames = sum(1 for _ in container.decode(video=0))
    halves: list[list[float]] = [[], []]
    with av.open(str(copy)) as container:
        for frame in container.decode(audio=0):
            left = array.array("f", bytes(frame.planes[0]))[: frame.samples]
            halves[0 if frame.time < 1.9 else 1].extend(left if frame.time < 1.9 or
                                                         frame.time > 2.1 else [])
    assert video_frames == 60
    assert _loudness(halves[0]) > 0.05 and _loudness(halves[1]) > 0.05  # both voices
    with av.open(str(copy)) as container:
        assert container.duration / 1e6 == pytest.approx(4.0, abs=0.15)


def test_the_recording_mode_is_one_of_two():
    from assessment_video.config import load_config

    assert load_config({}, {"MEDIA_SHARED_SECRET": "s"})["MEDIA_RECORD_MODE"] == "remux"
    with pytest.raises(ValueError, match="MEDIA_RECORD_MODE"):
        load_config({"MEDIA_RECORD_MODE": "mp4"}, {"MEDIA_SHARED_SECRET": "s"})
