"""The evidence store: one interface, two backends (a local folder and MinIO/S3).

Pure Python, no Flask: the portal and the media service both use it. `put` streams its input
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


class MinioStore:
    """Objects in one MinIO/S3 bucket through the `minio` client (created if missing)."""

    backend = "minio"

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str,
                 secure: bool = True, region: str | None = None, part_size: int = PART_SIZE,
                 connect_timeout: float = 5.0, read_timeout: float = 120.0):
        import urllib3
        from minio import Minio

        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            maxsize=10,
            retries=urllib3.Retry(total=2, backoff_factor=0.1,
                                  status_forcelist=[500, 502, 503, 504]),
        )
        self.client = Minio(endpoint, access_key=access_key, secret_key=secret_key,
                            secure=secure, region=region or None, http_client=http)
        self.bucket = bucket
        self.part_size = part_size
        self._bucket_ready = False

    def _call(self, fn, *args, **kwargs):
        """Run one client call, turning transport and server failures into store errors."""
        from minio.error import MinioException, S3Error
        from urllib3.exceptions import HTTPError

        try:
            return fn(*args, **kwargs)
        except S3Error as exc:
            if exc.code in {"NoSuchKey", "NoSuchObject", "NoSuchBucket", "NoSuchUpload"}:
                raise ObjectMissing(exc.object_name or "") from None
            raise StoreUnavailable(f"object store: {exc.code}") from exc
        except (MinioException, HTTPError, OSError) as exc:
            raise StoreUnavailable(f"object store unreachable: {type(exc).__name__}") from exc

    def ensure_bucket(self) -> None:
        """Create the bucket on first use (never in the app factory: no network there)."""
        if self._bucket_ready:
            return
        if not self._call(self.client.bucket_exists, self.bucket):
            from minio.error import S3Error

            try:
                self._call(self.client.make_bucket, self.bucket)
            except StoreUnavailable as exc:
                cause = exc.__cause__
                already = isinstance(cause, S3Error) and cause.code in {
                    "BucketAlreadyOwnedByYou", "BucketAlreadyExists"}
                if not already:
                    raise
        self._bucket_ready = True

    def put(self, key, stream, content_type="application/octet-stream", metadata=None,
            max_size=None):
        check_key(key)
        self.ensure_bucket()
        reader = stream if isinstance(stream, HashingReader) else HashingReader(stream, max_size)
        headers = {"Content-Type": content_type}
        headers.update({f"x-amz-meta-{k}": str(v) for k, v in (metadata or {}).items()})
        self._call(self._put_stream, key, reader, headers)
        return StoredObject(key=key, size=reader.size, sha256=reader.sha256)

    def _put_stream(self, key: str, reader: HashingReader, headers: dict) -> None:
        """Upload from a stream of unknown length with two reusable part buffers.

        `Minio.put_object(length=-1)` copies each part several times (about six part sizes
        of memory at its peak, measured) and reads only while nothing is being sent. Here one
        buffer is sent by a helper thread while the next is filled from the stream, so the
        uploader's bytes and the store's answer overlap; memory stays at two parts. An upload
        that fails is aborted, leaving no parts behind.
        """
        from concurrent.futures import ThreadPoolExecutor

        from minio.datatypes import Part

        client = self.client
        buffers = (bytearray(self.part_size), bytearray(self.part_size))
        upload_id = None
        parts: list = []
        pending = None

        def send(body, number: int):
            return Part(number, client._upload_part(self.bucket, key, body, None, upload_id,
                                                    number))

        sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evidence-upload")
        try:
            number = 0
            while True:
                buffer = buffers[number % 2]  # the other one may still be on its way
                filled = _fill(reader, buffer)
                body = buffer if filled == len(buffer) else memoryview(buffer)[:filled]
                if upload_id is None and filled < len(buffer):
                    client._put_object(self.bucket, key, body, headers)  # one request
                    return
                if upload_id is None:
                    upload_id = client._create_multipart_upload(self.bucket, key, headers)
                if pending is not None:
                    parts.append(pending.result())
                    pending = None
                if filled == 0:
                    break
                number += 1
                pending = sender.submit(send, body, number)
                if filled < len(buffer):
                    break
            if pending is not None:
                parts.append(pending.result())
                pending = None
            client._complete_multipart_upload(self.bucket, key, upload_id, parts)
        except BaseException:
            if pending is not None:
                pending.cancel()
                try:
                    pending.result()
                except BaseException:  # noqa: BLE001, S110 - the first error is reported
                    pass
            if upload_id is not None:
                try:
                    client._abort_multipart_upload(self.bucket, key, upload_id)
                except Exception as exc:  # noqa: BLE001 - the original error matters more
                    log.warning("could not abort multipart upload of %s: %s", key, exc)
            raise
        finally:
            sender.shutdown(wait=True)

    def open(self, key, offset=0, length=None):
        check_key(key)
        response = self._call(self.client.get_object, self.bucket, key, offset=offset,
                              length=length or 0)
        return _MinioBody(response)

    def stat(self, key):
        check_key(key)
        st = self._call(self.client.stat_object, self.bucket, key)
        meta = {k[len("x-amz-meta-"):]: v for k, v in (st.metadata or {}).items()
                if k.lower().startswith("x-amz-meta-")}
        return ObjectInfo(key=key, size=st.size or 0, last_modified=st.last_modified,
                          content_type=st.content_type, metadata=meta)

    def presigned_get(self, key, expires_seconds=MAX_PRESIGN_SECONDS, content_type=None,
                      filename=None):
        from datetime import timedelta

        check_key(key)
        seconds = max(1, min(int(expires_seconds), MAX_PRESIGN_SECONDS))
        headers = {}
        if content_type:
            headers["response-content-type"] = content_type
        if filename is not None:
            headers["response-content-disposition"] = _attachment(filename)
        return self._call(self.client.presigned_get_object, self.bucket, key,
                          expires=timedelta(seconds=seconds), response_headers=headers or None)

    def delete(self, key):
        check_key(key)
        try:
            self._call(self.client.remove_object, self.bucket, key)
        except ObjectMissing:
            pass

    def iter_objects(self, prefix=""):
        self.ensure_bucket()
        listing = self._call(self.client.list_objects, self.bucket, prefix=prefix or None,
                             recursive=True)
        iterator = iter(listing)
        while True:
            obj = self._call(next, iterator, None)
            if obj is None:
                return
            yield ObjectInfo(key=obj.object_name, size=obj.size or 0,
                             last_modified=obj.last_modified)

    def iter_keys(self, prefix=""):
        for info in self.iter_objects(prefix):
            yield info.key

    def iter_incomplete_uploads(self, prefix: str = "") -> Iterator[IncompleteUpload]:
        """Multipart uploads begun and neither completed nor aborted.

        `put` aborts its upload when it fails, but not when the store itself went away in the
        middle (the abort cannot reach it either): the parts stay on the server, invisible to
        `iter_objects`, until `abort_incomplete` removes them (`flask evidence reap`).
        """
        self.ensure_bucket()
        key_marker = upload_id_marker = None
        while True:
            result = self._call(self.client._list_multipart_uploads, self.bucket,
                                prefix=prefix or None, key_marker=key_marker,
                                upload_id_marker=upload_id_marker)
            for upload in result.uploads:
                yield IncompleteUpload(key=upload.object_name, upload_id=upload.upload_id,
                                       initiated=upload.initiated_time)
            if not result.is_truncated:
                return
            key_marker, upload_id_marker = result.next_key_marker, result.next_upload_id_marker

    def abort_incomplete(self, upload: IncompleteUpload) -> None:
        """Abort one unfinished multipart upload, freeing its parts."""
        check_key(upload.key)
        try:
            self._call(self.client._abort_multipart_upload, self.bucket, upload.key,
                       upload.upload_id)
        except ObjectMissing:
            pass  # already completed or aborted


def _fill(reader, buffer: bytearray) -> int:
    """Fill `buffer` from `reader` (fewer bytes only at the end of the stream)."""
    filled = 0
    size = len(buffer)
    while filled < size:
        chunk = reader.read(min(CHUNK_SIZE, size - filled))
        if not chunk:
            break
        buffer[filled:filled + len(chunk)] = chunk
        filled += len(chunk)
    return filled


class _MinioBody:
    """A GET response read in chunks; closing releases the connection to the pool."""

    def __init__(self, response):
        self._response = response

    def read(self, n: int = -1) -> bytes:
        from urllib3.exceptions import HTTPError

        try:
            return self._response.read(CHUNK_SIZE if n is None or n < 0 else n)
        except HTTPError as exc:
            raise StoreUnavailable(f"object store: {type(exc).__name__}") from exc

    def close(self) -> None:
        self._response.close()
        self._response.release_conn()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    ascii_name = filename.encode("ascii", "ignore").decode() or "evidence"
    ascii_name = re.sub(r'["\\\r\n;]', "_", ascii_name)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


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
        return MinioStore(config["MINIO_ENDPOINT"], config["MINIO_ACCESS_KEY"],
                          config["MINIO_SECRET_KEY"], config["MINIO_BUCKET"],
                          secure=bool(config.get("MINIO_SECURE", True)),
                          region=config.get("MINIO_REGION") or None)
    raise ValueError(f"unknown EVIDENCE_BACKEND {backend!r} (local or minio)")
