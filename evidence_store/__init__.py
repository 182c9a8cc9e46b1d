"""The evidence store: one interface, two backends (a local folder here, MinIO/S3 in
`evidence_store.s3`).

A package of its own, pure Python, no Flask and nothing of the portal: the portal
(`portal.storage`) and the media service (`assessment_video`) both use it, so a media node
installs without the portal's dependencies (requirements-media.txt). `put` streams its input
in chunks, computing SHA-256 and size on the way; nothing reads a whole object into memory.
Keys are made by the caller's server code (`townships/<tid>/cases/<cid>/<uuid>`) and checked
here, so that a key can never leave the store's folder or bucket.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, Protocol

log = logging.getLogger(__name__)

CHUNK_SIZE = 1024 * 1024
# S3 multipart parts: the minimum is 5 MiB; each part is held in memory once while it is sent.
PART_SIZE = 8 * 1024 * 1024
MAX_PRESIGN_SECONDS = 300
KEY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$")
PARTIAL_SUFFIX = ".partial"


class StoreError(Exception):
    """Base of the store's errors."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or refused the operation (disk, network, credentials)."""


class ObjectMissing(StoreError):
    """No object under that key."""


class ObjectTooLarge(StoreError):
    """The stream went past the size limit given to `put`; nothing was kept."""

    def __init__(self, limit: int):
        super().__init__(f"object larger than {limit} bytes")
        self.limit = limit


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    sha256: str


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int
    last_modified: datetime
    content_type: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass(frozen=True)
class IncompleteUpload:
    """A multipart upload the store still holds parts of (S3 backends only)."""

    key: str
    upload_id: str
    initiated: datetime | None


def check_key(key: str) -> str:
    """Refuse keys that could escape the store (.., absolute paths, odd characters)."""
    if not KEY_RE.match(key or "") or any(part in {".", ".."} for part in key.split("/")):
        raise ValueError(f"invalid object key {key!r}")
    return key


def evidence_key(township_id: int, case_id: int) -> str:
    """A fresh server-made key for one object of a case."""
    return f"townships/{int(township_id)}/cases/{int(case_id)}/{uuid.uuid4().hex}"


class HashingReader:
    """A file-like reader that hashes and counts what passes through, with an optional cap."""

    def __init__(self, stream: BinaryIO, max_size: int | None = None, head: bytes = b""):
        self._stream = stream
        self._head = head
        self._max = max_size
        self.size = 0
        self._hash = hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = CHUNK_SIZE
        if self._head:
            data, self._head = self._head[:n], self._head[n:]
        else:
            data = self._stream.read(n)
        if data:
            self.size += len(data)
            if self._max is not None and self.size > self._max:
                raise ObjectTooLarge(self._max)
            self._hash.update(data)
        return data

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


class Store(Protocol):
    """What every backend offers."""

    backend: str

    def put(self, key: str, stream: BinaryIO, content_type: str = "application/octet-stream",
            metadata: Mapping[str, str] | None = None, max_size: int | None = None
            ) -> StoredObject: ...

    def open(self, key: str, offset: int = 0, length: int | None = None) -> BinaryIO: ...

    def stat(self, key: str) -> ObjectInfo: ...

    def presigned_get(self, key: str, expires_seconds: int = MAX_PRESIGN_SECONDS,
                      content_type: str | None = None, filename: str | None = None
                      ) -> str | None: ...

    def delete(self, key: str) -> None: ...

    def iter_keys(self, prefix: str = "") -> Iterator[str]: ...

    def iter_objects(self, prefix: str = "") -> Iterator[ObjectInfo]: ...


class _RangeReader:
    """At most `length` bytes of a file, from its current position."""

    def __init__(self, file: BinaryIO, length: int):
        self._file = file
        self._left = length

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(n, self._left)
        data = self._file.read(n)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class LocalStore:
    """Objects as files under one folder; a partial write never shows under its key."""

    backend = "local"

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key, stream, content_type="application/octet-stream", metadata=None,
            max_size=None):
        path = self.path_for(key)
        reader = stream if isinstance(stream, HashingReader) else HashingReader(stream, max_size)
        partial = path.with_name(f"{path.name}.{uuid.uuid4().hex[:8]}{PARTIAL_SUFFIX}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(partial, "wb") as out:
                while chunk := reader.read(CHUNK_SIZE):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, path)
        except OSError as exc:
            _remove_quietly(partial)
            raise StoreUnavailable(f"local store: {exc.strerror or exc}") from exc
        except BaseException:
            _remove_quietly(partial)
            raise
        return StoredObject(key=key, size=reader.size, sha256=reader.sha256)

    def open(self, key, offset=0, length=None):
        path = self.path_for(key)
        try:
            file = open(path, "rb")  # noqa: SIM115 (the caller closes it)
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StoreUnavailable(f"local store: {exc.strerror or exc}") from exc
        if offset:
            file.seek(offset)
        return _RangeReader(file, length) if length is not None else file

    def stat(self, key):
        try:
            st = self.path_for(key).stat()
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        except OSError as exc:
            raise StoreUnavailable(f"local store: {exc.strerror or exc}") from exc
        return ObjectInfo(key=key, size=st.st_size,
                          last_modified=datetime.fromtimestamp(st.st_mtime, UTC))

    def presigned_get(self, key, expires_seconds=MAX_PRESIGN_SECONDS, content_type=None,
                      filename=None):
        return None  # the portal streams local objects itself

    def delete(self, key):
        try:
            self.path_for(key).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"local store: {exc.strerror or exc}") from exc

    def iter_objects(self, prefix=""):
        if not self.root.is_dir():
            return
        for dirpath, _dirs, files in os.walk(self.root):
            for name in sorted(files):
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    st = path.stat()
                except FileNotFoundError:
                    continue
                yield ObjectInfo(key=key, size=st.st_size,
                                 last_modified=datetime.fromtimestamp(st.st_mtime, UTC))

    def iter_keys(self, prefix=""):
        for info in self.iter_objects(prefix):
            yield info.key


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # the folder itself is broken; nothing was written there


def make_store(config: Mapping) -> Store:
    """The store the configuration names: EVIDENCE_BACKEND local (default) or minio."""
    backend = (config.get("EVIDENCE_BACKEND") or "local").lower()
    if backend == "local":
        root = config.get("EVIDENCE_DIR")
        if not root:
            raise ValueError("EVIDENCE_DIR is not set")
        return LocalStore(root)
    if backend == "minio":
        missing = [k for k in ("MINIO_ENDPOINT", "MINIO_ACCESS_KEY", "MINIO_SECRET_KEY",
                               "MINIO_BUCKET") if not config.get(k)]
        if missing:
            raise ValueError(f"missing configuration for the MinIO store: {', '.join(missing)}")
        from evidence_store.s3 import MinioStore

        return MinioStore(config["MINIO_ENDPOINT"], config["MINIO_ACCESS_KEY"],
                          config["MINIO_SECRET_KEY"], config["MINIO_BUCKET"],
                          secure=bool(config.get("MINIO_SECURE", True)),
                          region=config.get("MINIO_REGION") or None)
    raise ValueError(f"unknown EVIDENCE_BACKEND {backend!r} (local or minio)")
