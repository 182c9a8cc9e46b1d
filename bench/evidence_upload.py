"""A 200 MB evidence upload through the portal over real HTTP vs the raw `minio` client.

    python -m bench.evidence_upload [--size-mb 200] [--rounds 2]

Starts an S3 server (moto_server) on a free port, builds a throw-away SQLite portal with one
township, a staff member and a case, and runs the portal in its own process (werkzeug
`make_server`, MinIO backend against the same S3 server). Then, alternating, it uploads the
same bytes (an MP4 header and a pseudo-random pattern) through the portal's upload form and
with `Minio.put_object` straight to the server. Printed: the median time and throughput of
each, their ratio (goal ≥ 0.7) and the portal process's peak resident memory growth during
its upload (goal ≤ 50 MB; /proc/<pid>/status VmHWM after resetting it through clear_refs).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

MIB = 1024 * 1024
MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
PASSWORD = "bench-password-correct-9"
CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"{what} did not start within {timeout} s")


def portal_config(workdir: Path, s3_endpoint: str, bucket: str) -> dict:
    return {
        "ENV_NAME": "development",
        "SECRET_KEY": "bench-only",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{workdir / 'bench.sqlite3'}",
        "EVIDENCE_DIR": str(workdir / "evidence"),
        "IMPORT_DIR": str(workdir / "imports"),
        "EVIDENCE_BACKEND": "minio",
        "MINIO_ENDPOINT": s3_endpoint,
        "MINIO_ACCESS_KEY": "bench",
        "MINIO_SECRET_KEY": "bench-secret",
        "MINIO_BUCKET": bucket,
        "MINIO_SECURE": False,
        "MINIO_REGION": "us-east-1",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 8 * 1024,
        "ARGON2_PARALLELISM": 1,
        "LOGIN_RATE_LIMIT": "100 per minute",
    }


def prepare_portal(config: dict) -> tuple[str, int]:
    """Schema by the migrations, a township, its staff member and a case."""
    from flask_migrate import upgrade

    from portal import create_app
    from portal.auth.services import add_membership, create_user
    from portal.cases.models import Case
    from portal.domain import idcard
    from portal.extensions import db
    from portal.reference.models import Township
    from portal.rosters.models import Person

    app = create_app(config)
    with app.app_context():
        upgrade()
        township = Township(code="bench", name="测试乡", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        user = create_user("bench_staff", PASSWORD)
        add_membership(user, "township_staff", township, None)
        parsed = idcard.parse(idcard.make("533103", __import__("datetime").date(1950, 3, 4), 7))
        person = Person(township_id=township.id, name="王五", name_pinyin="wang wu",
                        name_initials="ww", gender=parsed.gender, id_number=parsed.number,
                        id_reversed=parsed.number[::-1], birth_date=parsed.birth_date)
        db.session.add(person)
        db.session.flush()
        case = Case(township_id=township.id, person_id=person.id, kind="issue", path="video",
                    created_by_id=user.id)
        db.session.add(case)
        db.session.commit()
        return township.code, case.id


def serve(config_json: str, port: int) -> None:
    """The portal process: werkzeug's threaded server on 127.0.0.1:port."""
    from werkzeug.serving import make_server

    from portal import create_app

    app = create_app(json.loads(config_json))
    server = make_server("127.0.0.1", port, app, threaded=True)
    server.serve_forever()


class Pattern:
    """`size` bytes: the MP4 head, then a fixed random 1 MiB block over and over."""

    def __init__(self, size: int, block: bytes):
        self.size = size
        self.block = block

    def chunks(self, chunk: int = MIB):
        sent = 0
        head = MP4_HEAD
        while sent < self.size:
            if sent < len(head):
                data = head + self.block[: chunk - len(head)]
            else:
                data = self.block[: min(chunk, self.size - sent)]
            data = data[: self.size - sent]
            sent += len(data)
            yield data

    def reader(self):
        return _GenReader(self.chunks())


class _GenReader:
    def __init__(self, gen):
        self._gen = gen
        self._buf = b""

    def read(self, n: int = -1) -> bytes:
        while n < 0 or len(self._buf) < n:
            try:
                self._buf += next(self._gen)
            except StopIteration:
                break
        if n < 0:
            data, self._buf = self._buf, b""
        else:
            data, self._buf = self._buf[:n], self._buf[n:]
        return data


class PortalClient:
    """A browser's session with the portal: cookies, the CSRF token, multipart uploads."""

    def __init__(self, base: str):
        import urllib3

        self.base = base
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(600))
        self.cookies: dict[str, str] = {}

    def _request(self, method, path, **kwargs):
        headers = kwargs.pop("headers", {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = self.http.request(method, self.base + path, headers=headers,
                                     redirect=False, **kwargs)
        for value in response.headers.getlist("Set-Cookie"):
            name, _, rest = value.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return response

    def csrf(self, path: str) -> str:
        page = self._request("GET", path).data.decode()
        return CSRF_RE.search(page).group(1)

    def login(self, username: str, password: str) -> None:
        token = self.csrf("/auth/login")
        response = self._request("POST", "/auth/login", fields={
            "username": username, "password": password, "csrf_token": token},
            encode_multipart=False)
        if response.status != 302:
            raise SystemExit(f"login failed: HTTP {response.status}")

    def upload(self, path: str, token: str, pattern: Pattern, filename: str) -> int:
        boundary = uuid.uuid4().hex
        head = (
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n"
            f"video\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{filename}\"\r\nContent-Type: video/mp4\r\n\r\n").encode()
        tail = f"\r\n--{boundary}--\r\n".encode()

        def body():
            yield head
            yield from pattern.chunks()
            yield tail

        length = len(head) + pattern.size + len(tail)
        response = self._request("POST", path, body=body(), headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "Content-Length": str(length)}, preload_content=True)
        if response.status not in (302, 303):
            raise SystemExit(f"upload failed: HTTP {response.status}: "
                             f"{response.data[:500].decode(errors='replace')}")
        return response.status


def proc_status(pid: int) -> dict[str, int]:
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            values[key] = int(rest.split()[0]) * 1024
    return values


def reset_peak(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.port)
        return 0

    from minio import Minio

    from portal.storage import PART_SIZE

    moto = Path(sys.executable).with_name("moto_server")
    if not moto.exists():
        raise SystemExit("moto_server is not installed (pip install 'moto[server]')")
    s3_port, portal_port = free_port(), free_port()
    s3 = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(s3_port)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = None
    with tempfile.TemporaryDirectory(prefix="bench-evidence-") as tmp:
        try:
            wait_for_port(s3_port, s3, "moto_server")
            endpoint = f"127.0.0.1:{s3_port}"
            config = portal_config(Path(tmp), endpoint, "bench-evidence")
            code, case_id = prepare_portal(config)
            server = subprocess.Popen(
                [sys.executable, "-m", "bench.evidence_upload", "--serve", json.dumps(config),
                 "--port", str(portal_port)], cwd=Path(__file__).resolve().parent.parent,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wait_for_port(portal_port, server, "portal")
            return run(args, endpoint, server.pid, portal_port, code, case_id, PART_SIZE,
                       Minio)
        finally:
            for proc in (server, s3):
                if proc is not None:
                    proc.terminate()
                    try:
                        proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        proc.kill()


def run(args, endpoint, server_pid, portal_port, code, case_id, part_size, minio_cls) -> int:
    size = args.size_mb * MIB
    pattern = Pattern(size, os.urandom(MIB))
    client = PortalClient(f"http://127.0.0.1:{portal_port}")
    client.login("bench_staff", PASSWORD)
    case_page = f"/t/{code}/cases/{case_id}"
    upload_path = f"/t/{code}/evidence/cases/{case_id}/upload"
    # Warm-up: imports, the bucket, the connection pools.
    client.upload(upload_path, client.csrf(case_page), Pattern(MIB, pattern.block), "warm.mp4")
    raw = minio_cls(endpoint, access_key="bench", secret_key="bench-secret", secure=False,
                    region="us-east-1")
    raw_bucket = "bench-raw"
    if not raw.bucket_exists(raw_bucket):
        raw.make_bucket(raw_bucket)
    raw.put_object(raw_bucket, "warm", Pattern(MIB, pattern.block).reader(), MIB)

    portal_times, raw_times, growths = [], [], []
    can_reset = reset_peak(server_pid)
    for n in range(args.rounds):
        token = client.csrf(case_page)
        reset_peak(server_pid)
        before = proc_status(server_pid)
        started = time.perf_counter()
        client.upload(upload_path, token, pattern, f"bench-{n}.mp4")
        portal_times.append(time.perf_counter() - started)
        after = proc_status(server_pid)
        peak = after["VmHWM"] if can_reset else max(after["VmHWM"], before["VmRSS"])
        growths.append(peak - before["VmRSS"])

        started = time.perf_counter()
        raw.put_object(raw_bucket, f"raw-{n}", pattern.reader(), size, part_size=part_size,
                       content_type="video/mp4")
        raw_times.append(time.perf_counter() - started)
        raw.remove_object(raw_bucket, f"raw-{n}")

    portal_s, raw_s = statistics.median(portal_times), statistics.median(raw_times)
    ratio = raw_s / portal_s
    growth = max(growths)
    mb = size / MIB
    print(f"evidence upload of {mb:.0f} MiB, {args.rounds} rounds, part size "
          f"{part_size // MIB} MiB, S3 server: moto_server at {endpoint}")
    print(f"  portal (HTTP form → streamed → MinIO backend): median {portal_s:.2f} s "
          f"= {mb / portal_s:.1f} MiB/s  (each: {', '.join(f'{t:.2f}' for t in portal_times)})")
    print(f"  raw minio put_object:                           median {raw_s:.2f} s "
          f"= {mb / raw_s:.1f} MiB/s  (each: {', '.join(f'{t:.2f}' for t in raw_times)})")
    print(f"  throughput ratio portal / raw: {ratio:.2f}  (goal ≥ 0.7: "
          f"{'met' if ratio >= 0.7 else 'NOT met'})")
    print(f"  portal process peak RSS growth during its upload: {growth / MIB:.1f} MiB "
          f"(each: {', '.join(f'{g / MIB:.1f}' for g in growths)}; goal ≤ 50 MB: "
          f"{'met' if growth <= 50 * 1000 * 1000 else 'NOT met'}"
          f"{'' if can_reset else '; VmHWM could not be reset, figure is an upper bound'})")
    return 0 if ratio >= 0.7 and growth <= 50 * 1000 * 1000 else 1


if __name__ == "__main__":
    sys.exit(main())
