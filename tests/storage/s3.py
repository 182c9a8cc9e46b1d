"""An S3 server for the tests (moto_server over HTTP) and the stores the tests run against.

Stores: "local" (a temporary folder), "minio" (the `minio` client against moto_server, started
once per session on a free port) and "minio-real" (a real MinIO when TEST_MINIO_ENDPOINT,
TEST_MINIO_ACCESS_KEY and TEST_MINIO_SECRET_KEY are set; skipped otherwise). Each test gets a
fresh folder or bucket, so that listing (reap) sees only its own objects.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from portal.storage import LocalStore
from portal.storage_minio import MinioStore

STORE_KINDS = ["local", "minio", "minio-real"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def moto_command() -> list[str] | None:
    exe = Path(sys.executable).with_name("moto_server")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("moto_server")
    return [found] if found else None


def start_moto(port: int) -> subprocess.Popen:
    command = moto_command()
    if command is None:
        pytest.skip("moto[server] is not installed: the MinIO backend cannot be tested")
    proc = subprocess.Popen(command + ["-H", "127.0.0.1", "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    pytest.fail("moto_server did not start")


@pytest.fixture(scope="session")
def s3_endpoint():
    """host:port of an S3 server started for this test session (moto_server)."""
    port = free_port()
    proc = start_moto(port)
    yield f"127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def real_minio_settings() -> dict | None:
    keys = ("TEST_MINIO_ENDPOINT", "TEST_MINIO_ACCESS_KEY", "TEST_MINIO_SECRET_KEY")
    if not all(os.environ.get(k) for k in keys):
        return None
    return {
        "endpoint": os.environ["TEST_MINIO_ENDPOINT"],
        "access_key": os.environ["TEST_MINIO_ACCESS_KEY"],
        "secret_key": os.environ["TEST_MINIO_SECRET_KEY"],
        "secure": os.environ.get("TEST_MINIO_SECURE", "").lower() in {"1", "true", "yes"},
    }


def _drop_bucket(store: MinioStore) -> None:
    from minio.deleteobjects import DeleteObject

    try:
        objects = [DeleteObject(o.object_name) for o in store.client.list_objects(
            store.bucket, recursive=True)]
        for _error in store.client.remove_objects(store.bucket, objects):
            pass
        store.client.remove_bucket(store.bucket)
    except Exception as exc:  # noqa: BLE001 - cleanup of a test bucket is best effort
        print(f"test bucket {store.bucket} not removed: {exc}")


@pytest.fixture(params=STORE_KINDS)
def store(request, tmp_path):
    """A fresh, empty evidence store of each backend."""
    if request.param == "local":
        yield LocalStore(tmp_path / "evidence")
        return
    if request.param == "minio":
        endpoint = request.getfixturevalue("s3_endpoint")
        made = MinioStore(endpoint, "test-key", "test-secret", f"ev-{uuid.uuid4().hex[:12]}",
                          secure=False, region="us-east-1", part_size=5 * 1024 * 1024)
    else:
        settings = real_minio_settings()
        if settings is None:
            pytest.skip("no real MinIO: set TEST_MINIO_ENDPOINT, TEST_MINIO_ACCESS_KEY and "
                        "TEST_MINIO_SECRET_KEY to run these tests against one")
        made = MinioStore(settings["endpoint"], settings["access_key"], settings["secret_key"],
                          f"ev-test-{uuid.uuid4().hex[:12]}", secure=settings["secure"],
                          part_size=5 * 1024 * 1024)
    yield made
    _drop_bucket(made)


class PatternStream:
    """`size` bytes of a repeating pseudo-random pattern after `head`, produced on demand."""

    def __init__(self, size: int, head: bytes = b"", block: bytes | None = None):
        self.block = block or os.urandom(1024 * 1024)
        self.head = head
        self.size = size
        self.pos = 0

    def _byte_range(self, start: int, stop: int) -> bytes:
        out = bytearray()
        while start < stop:
            if start < len(self.head):
                take = self.head[start:min(stop, len(self.head))]
            else:
                offset = (start - len(self.head)) % len(self.block)
                take = self.block[offset:offset + (stop - start)]
            out += take
            start += len(take)
        return bytes(out)

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        stop = min(self.size, self.pos + n)
        data = self._byte_range(self.pos, stop)
        self.pos = stop
        return data

    def sha256(self) -> str:
        import hashlib

        digest = hashlib.sha256()
        copy = PatternStream(self.size, self.head, self.block)
        while chunk := copy.read(1024 * 1024):
            digest.update(chunk)
        return digest.hexdigest()
