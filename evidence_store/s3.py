"""The MinIO/S3 backend of the evidence store (`evidence_store` holds the interface, the
local-folder backend and `make_store`). Pure Python, no Flask, like the interface."""
from __future__ import annotations

import re
from collections.abc import Iterator

from evidence_store import (
    CHUNK_SIZE,
    MAX_PRESIGN_SECONDS,
    PART_SIZE,
    HashingReader,
    IncompleteUpload,
    ObjectInfo,
    ObjectMissing,
    StoredObject,
    StoreUnavailable,
    check_key,
    log,
)


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
