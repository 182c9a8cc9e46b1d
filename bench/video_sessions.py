"""CPU cost of the video media service per assessment session: sessions per core.

    python -m bench.video_sessions [--seconds 20] [--sessions 2] [--compare] [--profile]

Starts `python -m assessment_video` in a subprocess (its CPU is read from /proc), connects a
doctor and a guardian per session, each an aiortc client in its own process sending
pre-encoded VP8 at 640×480 and 15 fps plus Opus audio and counting what it receives without
decoding it (so the synthetic sides keep their rate and leave the CPU to the service; the
service's work is the same as with browsers), records for --seconds, ends the sessions
(recordings finished and stored) and reports the service's CPU per session and the resulting
sessions per core. Goal: ≥ 6 sessions per core.

--compare also runs, in the same run and with the same clients, today's earlier recorder
(MEDIA_RECORD_MODE=transcode: the applicant's video and both voices decoded, x264 and AAC),
and prints the ratio. --profile runs the service once more under cProfile and sums where its
CPU goes (UDP and ICE, SRTP and DTLS, RTP and RTCP, the jitter buffer, forwarding and
recording, the event loop and other Python).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from tests.video_media.harness import SECRET, Portal
from tests.video_media.synthetic import MediaClient, wait_for

ROOT = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FPS = 640, 480, 15
MODES = {"remux": "packets as received into WebM (the service)",
         "transcode": "decoded, x264 + AAC into MP4 (earlier recorder)"}


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


def start_service(workdir: Path, port: int, mode: str,
                  profile: Path | None = None) -> subprocess.Popen:
    """The media service as production runs it, on `port` (under cProfile if `profile`)."""
    env = {**os.environ, "MEDIA_SHARED_SECRET": SECRET, "MEDIA_ICE_SERVERS": "[]",
           "MEDIA_RECORD_MODE": mode,
           "MEDIA_SPOOL_DIR": str(workdir / "spool"), "EVIDENCE_BACKEND": "local",
           "EVIDENCE_DIR": str(workdir / "evidence")}
    command = [sys.executable, "-m", "assessment_video"]
    if profile is not None:
        command = [sys.executable, "-m", "bench.video_sessions", "--profiled-service",
                   str(profile), "--"]
    command += ["--port", str(port), "--log-level", os.environ.get("BENCH_MEDIA_LOG", "WARNING")]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def serve_profiled(out: Path, argv: list[str]) -> None:
    """The service under cProfile, timed by the event loop thread's own CPU (waiting in
    epoll costs nothing), stats written to `out` when it stops."""
    import cProfile

    from assessment_video.__main__ import main as serve

    profiler = cProfile.Profile(time.thread_time)
    profiler.enable()
    try:
        serve(argv)
    finally:
        profiler.disable()
        profiler.dump_stats(str(out))


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
        client = MediaClient(role, width=WIDTH, height=HEIGHT, fps=FPS, encoded=True,
                             decode=False)
        await client.connect(Portal(session, base).post, room)
        connected = time.monotonic()
        print("ready", flush=True)
        await wait_for(lambda: client.pc.connectionState in {"closed", "failed"}, limit, 0.2)
        print(json.dumps({**client.received, "seconds": time.monotonic() - connected}),
              flush=True)
        await client.close()


async def measure_service(seconds: float, sessions: int, workdir: Path, mode: str,
                          profile: Path | None = None) -> dict:
    """Run `sessions` recorded sessions for `seconds` against a service subprocess."""
    port = free_port()
    service = start_service(workdir, port, mode, profile)
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
        service.wait(30)
    # A session whose sides never connected (a machine too busy) has no recording.
    recorded = [a["recording"] for a in answers if a.get("recording")]
    return {"cpu_run": cpu_run, "cpu_total": cpu_total, "wall": wall,
            "relayed": sum(c["video"] for c in counts),
            "fps": sum(c["video"] / c["seconds"] for c in counts) / len(counts),
            "recorded_frames": sum(r["video_frames"] for r in recorded),
            "recorded_seconds": sum(r["duration_seconds"] for r in recorded),
            "missing": len(answers) - len(recorded)}


CATEGORIES = [  # (name, what a function's "file name" contains), first match wins
    ("RTCP (reports, NACK, PLI, REMB)", ("rtcp", "Rtcp", "/aiortc/rate.py", "/aiortc/clock.py")),
    ("SRTP and DTLS", ("/pylibsrtp/", "rtcdtlstransport.py", "/OpenSSL/", "/cryptography/")),
    ("UDP and ICE", ("/aioice/", "selector_events.py", "_socket.socket")),
    ("RTP parsing and packetizing", ("/aiortc/rtp.py", "/aiortc/codecs/",
                                     "rtcrtpparameters.py", "/aiortc/utils.py")),
    ("jitter buffer and receiving", ("jitterbuffer.py", "rtcrtpreceiver.py")),
    ("sending", ("rtcrtpsender.py",)),
    ("forwarding, recording, snapshots", ("/assessment_video/",)),
    ("muxing (PyAV)", ("/av/", "'av.")),
    ("event loop (asyncio)", ("/asyncio/", "selectors.py", "_contextvars", "select.epoll")),
    ("other Python", ("",)),
]


def _category(filename: str, name: str) -> str:
    where = f"{filename} {name}"
    return next(c for c, needles in CATEGORIES if any(n in where for n in needles))


def profile_summary(path: Path) -> list[tuple[str, float]]:
    """Own CPU time of the profiled service's functions by category, largest first; a
    built-in's time (len, struct.pack, ...) goes to the functions that called it."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    totals: dict[str, float] = {}

    def add(category: str, seconds: float) -> None:
        totals[category] = totals.get(category, 0.0) + seconds

    for (filename, _line, name), (_cc, _nc, own, _cum, callers) in stats.items():
        category = _category(filename, name)
        if filename != "~" or category != "other Python" or not callers:
            add(category, own)
            continue
        spent = sum(row[2] for row in callers.values()) or 1.0
        for (c_file, _c_line, c_name), row in callers.items():
            add(_category(c_file, c_name), own * row[2] / spent)
    return sorted(totals.items(), key=lambda item: -item[1])


def report(label: str, result: dict, sessions: int, seconds: float) -> float:
    """Print one mode's figures; its CPU share of a core per session."""
    wall = result["wall"]
    per_session_core = result["cpu_total"] / sessions / wall
    frames_per_direction = result["relayed"] // (2 * sessions)
    print(f"{label}:")
    print(f"  frames relayed per direction  {frames_per_direction} "
          f"({result['fps']:.1f} fps received on average)")
    print(f"  recorded per session          {result['recorded_frames'] // sessions} frames "
          f"over {result['recorded_seconds'] / sessions:.1f} s")
    print(f"  service CPU per session       {result['cpu_total'] / sessions:.2f} s "
          f"({100 * per_session_core:.1f} % of a core; while running only "
          f"{100 * result['cpu_run'] / sessions / seconds:.1f} %)")
    print(f"  sessions per core             {1 / per_session_core:.2f}  (goal ≥ 6)")
    recorded_rate = result["recorded_frames"] / max(1e-9, result["recorded_seconds"])
    if result["fps"] < 0.8 * FPS or recorded_rate < 0.8 * FPS:
        print(f"  WARNING: the service could not keep up ({result['fps']:.1f} fps relayed, "
              f"{recorded_rate:.1f} recorded, of {FPS}): the machine was too busy, and this "
              "mode's CPU per session is understated")
    if result["missing"]:
        print(f"  WARNING: {result['missing']} of {sessions} sessions stored no recording")
    return per_session_core


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--sessions", type=int, default=2)
    parser.add_argument("--compare", action="store_true",
                        help="also measure the earlier recorder (MEDIA_RECORD_MODE=transcode)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the service once more and say where its CPU goes")
    parser.add_argument("--profiled-service", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("service_args", nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--client", choices=["doctor", "guardian"], help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    parser.add_argument("--room", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.profiled_service:
        serve_profiled(args.profiled_service, args.service_args)
        return 0
    if args.client:
        asyncio.run(run_client(args.client, args.base, args.room, args.seconds))
        return 0
    sessions = args.sessions
    modes = ["remux", "transcode"] if args.compare else ["remux"]
    results = {}
    for mode in modes:
        with tempfile.TemporaryDirectory() as tmp:
            results[mode] = asyncio.run(measure_service(args.seconds, sessions, Path(tmp), mode))
    print(f"sessions in parallel  {sessions}, recording {args.seconds:.0f} s "
          f"(measured until every recording is stored); load average at the end "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    shares = {mode: report(f"{mode}: {MODES[mode]}", results[mode], sessions, args.seconds)
              for mode in modes}
    if args.compare:
        print(f"packets as received ÷ earlier recorder, CPU per session  "
              f"{shares['remux'] / shares['transcode']:.2f}  "
              f"(sessions per core ×{shares['transcode'] / shares['remux']:.2f})")
    if args.profile:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "service.prof"
            asyncio.run(measure_service(args.seconds, sessions, Path(tmp), "remux", path))
            rows = profile_summary(path)
        total = sum(seconds for _name, seconds in rows) or 1.0
        print("where the service's CPU goes (cProfile, own time; profiling inflates Python):")
        for name, seconds in rows:
            print(f"  {100 * seconds / total:5.1f} %  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
