"""An MP4 copy of a recording for download, made afterwards (a background job, never live).

    python -m assessment_video.mp4_export RECORDING.webm COPY.mp4

The evidence stays the WebM of packets as received (its SHA-256 is what the case holds);
this makes a copy that any phone or office computer plays: H.264 video (x264, the picture
size of the recording's first keyframe; later sizes are scaled to it) and one AAC track in
which both voices are mixed (the WebM keeps them as two Opus tracks, of which players
play only the first). Timestamps are the recording's: a gap in a voice becomes silence.
`export_mp4` is what a job queue calls; it reads and writes local files.
"""
from __future__ import annotations

import argparse
import fractions
import os
from pathlib import Path

import av
from av.video.reformatter import VideoReformatter

AUDIO_RATE = 48000
SAMPLE = fractions.Fraction(1, AUDIO_RATE)
MS = fractions.Fraction(1, 1000)


def _voices(path: Path) -> list[int]:
    """Indexes of the audio streams that hold at least one packet."""
    counts: dict[int, int] = {}
    with av.open(str(path)) as source:
        for packet in source.demux(audio=list(range(len(source.streams.audio)))):
            if packet.size:
                counts[packet.stream.index] = counts.get(packet.stream.index, 0) + 1
    return sorted(counts)


def _mixer(count: int) -> tuple[av.filter.Graph, list, object]:
    """A filter graph: each voice's gaps filled with silence by its timestamps, all mixed."""
    graph = av.filter.Graph()
    sources = [graph.add_abuffer(format="fltp", sample_rate=AUDIO_RATE, layout="stereo",
                                 time_base=SAMPLE) for _ in range(count)]
    mix = graph.add("amix", f"inputs={count}:duration=longest:normalize=0")
    for i, source in enumerate(sources):
        fill = graph.add("aresample", "async=1:first_pts=0")
        source.link_to(fill)
        fill.link_to(mix, 0, i)
    out = graph.add("aformat", "sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo")
    mix.link_to(out)
    sink = graph.add("abuffersink")
    out.link_to(sink)
    graph.configure()
    return graph, sources, sink


class _Export:
    """State of one export: output streams, decoders, the audio mixer."""

    def __init__(self, source: av.container.InputContainer, target, voices: list[int]):
        self.target = target
        self.video_out = None
        self.scaler = VideoReformatter()
        if source.streams.video:
            # The WebM header holds the size of the recording's first keyframe.
            context = source.streams.video[0].codec_context
            out = self.video_out = target.add_stream("libx264", rate=15)
            out.width, out.height = context.width or 640, context.height or 480
            out.pix_fmt = "yuv420p"
            out.time_base = out.codec_context.time_base = MS
            out.codec_context.options = {"preset": "veryfast", "crf": "23", "bf": "0"}
        self.voices = {index: i for i, index in enumerate(voices)}
        self.resamplers = {index: av.AudioResampler(format="fltp", layout="stereo",
                                                    rate=AUDIO_RATE) for index in voices}
        self.audio_out = None
        self.mixer = None
        if voices:
            self.audio_out = target.add_stream("aac", rate=AUDIO_RATE)
            self.audio_out.codec_context.layout = "stereo"
            self.audio_out.codec_context.bit_rate = 96000
            self.graph, self.sources, self.sink = _mixer(len(voices))

    def video(self, packet: av.Packet) -> None:
        out = self.video_out
        for frame in packet.decode():
            picture = self.scaler.reformat(frame, width=out.width, height=out.height,
                                           format="yuv420p")
            picture.pts = round(frame.pts * frame.time_base * 1000)
            picture.time_base = MS  # the stream's own time base changes when the file opens
            self.target.mux(out.encode(picture))

    def voice(self, packet: av.Packet) -> None:
        source = self.sources[self.voices[packet.stream.index]]
        for frame in packet.decode():
            start = round(frame.pts * frame.time_base * AUDIO_RATE)
            for part in self.resamplers[packet.stream.index].resample(frame):
                part.pts, part.time_base = start, SAMPLE
                start += part.samples
                source.push(part)
        self._drain()

    def _drain(self) -> None:
        while True:
            try:
                mixed = self.sink.pull()
            except (BlockingIOError, av.error.EOFError):
                return
            mixed.pts = None
            self.target.mux(self.audio_out.encode(mixed))

    def finish(self) -> None:
        if self.audio_out is not None:
            for source in self.sources:
                source.push(None)
            self._drain()
            self.target.mux(self.audio_out.encode(None))
        if self.video_out is not None:
            self.target.mux(self.video_out.encode(None))


def export_mp4(recording: Path, target: Path) -> Path:
    """Write an MP4 copy of `recording` (a WebM of the media service) to `target`."""
    voices = _voices(recording)
    tmp = target.with_name(target.name + ".part")
    with av.open(str(recording)) as source, av.open(
            str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"}) as out:
        export = _Export(source, out, voices)
        wanted = [s for s in source.streams if s.type == "video" or s.index in export.voices]
        for packet in source.demux(*wanted):
            if packet.size == 0:
                continue
            if packet.stream.type == "video":
                export.video(packet)
            else:
                export.voice(packet)
        export.finish()
    os.replace(tmp, target)
    return target


def main(argv: list[str] | None = None) -> None:
    """Command line: recording in, MP4 copy out."""
    parser = argparse.ArgumentParser(prog="assessment_video.mp4_export", description=__doc__)
    parser.add_argument("recording", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    export_mp4(args.recording, args.target)


if __name__ == "__main__":
    main()
