"""CPU cost of the video media service per assessment session, and its ratio to bare codec work.

    python -m bench.video_sessions [--seconds 20] [--sessions 1] [--compare]

Starts `python -m assessment_video` in a subprocess (its CPU is read from /proc), connects a
doctor and a guardian per session, each an aiortc client in its own process sending
pre-encoded VP8 at 640×480 and 15 fps plus Opus audio (so the synthetic cameras keep their
rate however busy the machine is; the service's work is the same as with live encoders),
records for --seconds, ends the session (recording finished and stored), and reports:

- the service's CPU seconds per session-second and the resulting sessions per core;
- the bare codec work a transcoding relay could not avoid for the same frames, measured in
  this process with PyAV: decoding the two incoming VP8 streams, re-encoding them for the
  other side, and x264 (the service's recording preset) for the recording; and the ratio
  service ÷ bare codec (below 1 since the service forwards VP8 and Opus as received and
  decodes only the applicant's video, for the recording and snapshots);
- with --compare, the same sessions against a service that always transcodes
  (MEDIA_FORWARD=0), measured in the same run, and the ratio of the two.
Goal: ≥ 2 sessions per core.
"""
from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import av

from assessment_video.config import DEFAULTS
from tests.video_media.harness import SECRET, Portal
from tests.video_media.synthetic import MediaClient, PatternVideoTrack, wait_for

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 640, 480, 15


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A local TCP port nobody listens on."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_service(workdir: Path, port: int, forward: bool) -> subprocess.Popen:
    """The media service as production runs it, on `port`."""
    env = {**os.environ, "MEDIA_SHARED_SECRET": SECRET, "MEDIA_ICE_SERVERS": "[]",
           "MEDIA_FORWARD": "1" if forward else "0",
           "MEDIA_SPOOL_DIR": str(workdir / "spool"), "EVIDENCE_BACKEND": "local",
           "EVIDENCE_DIR": str(workdir / "evidence")}
    return subprocess.Popen(
        [sys.executable, "-m", "assessment_video", "--port", str(port), "--log-level", os.environ.get("BENCH_MEDIA_LOG", "WARNING")],
        cwd=ROOT, env=env)


def start_client(role: str, base: str, room: str, limit: float) -> subprocess.Popen:
    """One synthetic side in its own process (the bench process would be GIL-bound)."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.video_sessions", "--client", role, "--base", base,
         "--room", room, "--seconds", str(limit)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True)


async def run_client(role: str, base: str, room: str, limit: float) -> None:
    """Client mode: connect, say "ready", stay until the service hangs up, print counts."""
    async with aiohttp.ClientSession() as session:
        # Pre-encoded VP8: the synthetic cameras cost their processes no encoding, so they
        # keep 15 fps however busy the machine is (the service's work is the same).
        client = MediaClient(role, width=WIDTH, height=HEIGHT, fps=FPS, encoded=True)
        await client.connect(Portal(session, base).post, room)
        print("ready", flush=True)
        await wait_for(lambda: client.pc.connectionState in {"closed", "failed"}, limit, 0.2)
        print(json.dumps(client.received), flush=True)
        await client.close()


async def measure_service(seconds: float, sessions: int, workdir: Path,
                          forward: bool = True) -> dict:
    """Run `sessions` recorded sessions for `seconds` against a service subprocess."""
    port = free_port()
    service = start_service(workdir, port, forward)
    base = f"http://127.0.0.1:{port}"
    clients: list[subprocess.Popen] = []
    loop = asyncio.get_running_loop()
    try:
        async with aiohttp.ClientSession() as session:
            portal = Portal(session, base)
            for _ in range(100):
                try:
                    async with session.get(base + "/healthz"):
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.1)
            rooms = [f"bench-room-{i}" for i in range(sessions)]
            for room in rooms:
                for role in ("doctor", "guardian"):
                    client = start_client(role, base, room, seconds + 60)
                    await loop.run_in_executor(None, client.stdout.readline)
                    clients.append(client)
            await asyncio.sleep(3)  # connected and warmed up
            for room in rooms:
                await portal.post(f"/rooms/{room}/recording/start",
                                  {"key_prefix": "townships/1/cases/1/"})
            cpu0, wall0 = cpu_seconds(service.pid), time.monotonic()
            await asyncio.sleep(seconds)
            cpu_run = cpu_seconds(service.pid) - cpu0
            answers = [(await portal.post(f"/rooms/{room}/end", {}))[1] for room in rooms]
            cpu_total = cpu_seconds(service.pid) - cpu0
            wall = time.monotonic() - wall0
        counts = [json.loads(await loop.run_in_executor(None, c.stdout.readline))
                  for c in clients]
    finally:
        for client in clients:
            client.kill()
            client.wait(10)
        service.terminate()
        service.wait(10)
    recorded = [a["recording"] for a in answers]
    return {"cpu_run": cpu_run, "cpu_total": cpu_total, "wall": wall,
            "relayed": sum(c["video"] for c in counts),
            "recorded_frames": sum(r["video_frames"] for r in recorded),
            "recorded_seconds": sum(r["duration_seconds"] for r in recorded)}


def bare_codec_seconds(frames_per_direction: int, recorded_frames: int) -> float:
    """CPU seconds PyAV needs for the unavoidable codec work on the same number of frames."""
    pictures = PatternVideoTrack(WIDTH, HEIGHT, FPS)._pictures
    from assessment_video.relay import yuv420p_frame

    def vp8_encoder() -> av.CodecContext:
        """VP8 as aiortc 1.16 configures it for a sender (realtime CBR at 500 kbps)."""
        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height, codec.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        codec.bit_rate = 500_000
        codec.time_base = fractions.Fraction(1, 90000)
        codec.gop_size, codec.qmin, codec.qmax = 3000, 2, 56
        codec.options = {
            "bufsize": "500000", "cpu-used": "-6", "deadline": "realtime", "lag-in-frames": "0",
            "minrate": "500000", "maxrate": "500000", "noise-sensitivity": "4",
            "overshoot-pct": "15", "partitions": "0", "static-thresh": "1",
            "undershoot-pct": "100"}
        codec.thread_count = 1
        return codec

    # What the browsers would send: VP8 packets (made outside the measurement).
    source = vp8_encoder()
    packets = []
    for i in range(frames_per_direction):
        frame = yuv420p_frame(pictures[i % len(pictures)], WIDTH, HEIGHT)
        frame.pts = i * 6000
        packets += source.encode(frame)
    start = time.process_time()
    for _direction in range(2):  # doctor → guardian and guardian → doctor
        decoder = av.CodecContext.create("libvpx", "r")
        encoder = vp8_encoder()
        for packet in packets:
            for frame in decoder.decode(packet):
                frame.pts = packet.pts
                encoder.encode(frame)
    recorder = av.CodecContext.create("libx264", "w")
    recorder.width, recorder.height, recorder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    recorder.time_base = fractions.Fraction(1, 90000)
    recorder.options = {"preset": DEFAULTS["MEDIA_RECORD_PRESET"], "tune": "zerolatency"}
    decoder = av.CodecContext.create("libvpx", "r")
    done = 0
    for packet in packets:
        for frame in decoder.decode(packet):
            if done < recorded_frames:
                frame.pts = done * 6000
                recorder.encode(frame)
                done += 1
    recorder.encode(None)
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--compare", action="store_true",
                        help="also measure a service that always transcodes (MEDIA_FORWARD=0)")
    parser.add_argument("--client", choices=["doctor", "guardian"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--room", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.client:
        asyncio.run(run_client(args.client, args.base, args.room, args.seconds))
        return 0
    sessions = args.sessions
    modes = [True, False] if args.compare else [True]
    results = {}
    for forward in modes:
        with tempfile.TemporaryDirectory() as tmp:
            results[forward] = asyncio.run(
                measure_service(args.seconds, sessions, Path(tmp), forward))
    result = results[True]
    wall = result["wall"]
    per_session_core = result["cpu_total"] / sessions / wall
    # Clients count from connection (3 s before recording) to the end.
    frames_per_direction = result["relayed"] // (2 * sessions)
    relayed_seconds = wall + 3
    bare = bare_codec_seconds(frames_per_direction, result["recorded_frames"] // sessions)
    print(f"sessions in parallel          {sessions}")
    print(f"measured wall time            {wall:.1f} s (recording {args.seconds:.0f} s + end)")
    print(f"frames relayed per direction  {frames_per_direction} "
          f"({frames_per_direction / relayed_seconds:.1f} fps)")
    print(f"frames recorded per session   {result['recorded_frames'] // sessions} "
          f"over {result['recorded_seconds'] / sessions:.1f} s")
    print(f"service CPU per session       {result['cpu_total'] / sessions:.2f} s "
          f"({100 * per_session_core:.0f} % of a core; while running only "
          f"{100 * result['cpu_run'] / sessions / args.seconds:.0f} %)")
    print(f"sessions per core             {1 / per_session_core:.2f}  (goal ≥ 2)")
    print(f"bare codec work, same frames  {bare:.2f} s CPU (decode both VP8 streams, re-encode "
          f"them, x264 the recording)")
    print(f"service ÷ bare codec          {result['cpu_total'] / sessions / bare:.2f}"
          f"")
    if args.compare:
        other = results[False]
        other_core = other["cpu_total"] / sessions / other["wall"]
        print("always transcoding (MEDIA_FORWARD=0), same run:")
        print(f"  frames relayed per direction  {other['relayed'] // (2 * sessions)}")
        print(f"  sessions per core             {1 / other_core:.2f}")
        print(f"  forwarding ÷ transcoding CPU  {per_session_core / other_core:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
