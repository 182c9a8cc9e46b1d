"""The evidence store's interface on every backend: streaming put with SHA-256, open with
ranges, stat, presigned links, delete, listing; keys that could escape are refused."""
from __future__ import annotations

import hashlib
import io
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.storage import (
    HashingReader,
    LocalStore,
    ObjectMissing,
    ObjectTooLarge,
    StoreUnavailable,
    check_key,
    evidence_key,
    make_store,
)
from portal.storage_minio import MinioStore
from tests.storage.s3 import PatternStream, free_port


def test_put_streams_and_hashes(store):
    source = PatternStream(12 * 1024 * 1024 + 17)  # several multipart parts on S3
    key = evidence_key(3, 7)
    stored = store.put(key, source, content_type="video/mp4")
    assert stored.size == 12 * 1024 * 1024 + 17
    assert stored.sha256 == source.sha256()
    info = store.stat(key)
    assert info.size == stored.size
    digest = hashlib.sha256()
    with store.open(key) as body:
        while chunk := body.read(1024 * 1024):
            digest.update(chunk)
    assert digest.hexdigest() == stored.sha256


def test_open_with_a_range(store):
    key = evidence_key(1, 1)
    store.put(key, io.BytesIO(b"0123456789"), content_type="text/plain")
    with store.open(key, 3, 4) as body:
        assert body.read(100) == b"3456"


def test_keys_are_server_made_and_checked():
    key = evidence_key(12, 345)
    assert key.startswith("townships/12/cases/345/") and len(key.rsplit("/", 1)[1]) == 32
    for bad in ("../etc/passwd", "townships/../../x", "/abs/key", "a//b", "a/./b", "a b", ""):
        with pytest.raises(ValueError):
            check_key(bad)


def test_traversal_key_never_leaves_the_folder(tmp_path):
    store = LocalStore(tmp_path / "evidence")
    with pytest.raises(ValueError):
        store.put("../outside", io.BytesIO(b"x"))
    assert not (tmp_path / "outside").exists()


def test_missing_object(store):
    with pytest.raises(ObjectMissing):
        store.stat(evidence_key(1, 2))
    with pytest.raises(ObjectMissing):
        store.open(evidence_key(1, 2)).read()


def test_delete_and_listing(store):
    keys = [evidence_key(5, 1), evidence_key(5, 1), evidence_key(6, 2)]
    for key in keys:
        store.put(key, io.BytesIO(b"data"))
    assert sorted(store.iter_keys("townships/5/")) == sorted(keys[:2])
    store.delete(keys[0])
    assert sorted(store.iter_keys("townships/")) == sorted(keys[1:])
    store.delete(keys[0])  # deleting twice is harmless


def test_size_cap_keeps_nothing(store):
    key = evidence_key(1, 1)
    with pytest.raises(ObjectTooLarge):
        store.put(key, PatternStream(7 * 1024 * 1024), max_size=6 * 1024 * 1024)
    assert list(store.iter_keys("townships/")) == []


def test_presigned_get_expires_within_five_minutes(store):
    key = evidence_key(1, 1)
    store.put(key, io.BytesIO(b"%PDF-1.4 test"), content_type="application/pdf")
    url = store.presigned_get(key, 3600, content_type="application/pdf", filename="病历.pdf")
    if isinstance(store, LocalStore):
        assert url is None  # the portal streams local objects itself
        return
    query = parse_qs(urlsplit(url).query)
    assert int(query["X-Amz-Expires"][0]) <= 300
    import urllib3

    response = urllib3.PoolManager().request("GET", url)
    assert response.status == 200 and response.data == b"%PDF-1.4 test"


def test_hashing_reader_counts_head_and_rest():
    reader = HashingReader(io.BytesIO(b"world"), head=b"hello ")
    data = b""
    while chunk := reader.read(4):
        data += chunk
    assert data == b"hello world" and reader.size == 11
    assert reader.sha256 == hashlib.sha256(b"hello world").hexdigest()


def test_store_down_is_a_clear_error():
    store = MinioStore(f"127.0.0.1:{free_port()}", "k", "s", "evidence", secure=False,
                       region="us-east-1")
    with pytest.raises(StoreUnavailable):
        store.put(evidence_key(1, 1), io.BytesIO(b"x"))


def test_local_store_on_a_broken_folder(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(StoreUnavailable):
        LocalStore(blocker).put(evidence_key(1, 1), io.BytesIO(b"x"))


def test_make_store_by_configuration(tmp_path, s3_endpoint):
    assert isinstance(make_store({"EVIDENCE_DIR": str(tmp_path)}), LocalStore)
    minio = make_store({"EVIDENCE_BACKEND": "minio", "MINIO_ENDPOINT": s3_endpoint,
                        "MINIO_ACCESS_KEY": "a", "MINIO_SECRET_KEY": "b",
                        "MINIO_BUCKET": "made-by-config", "MINIO_SECURE": False})
    assert isinstance(minio, MinioStore)
    minio.put(evidence_key(1, 1), io.BytesIO(b"x"))  # the bucket is created when missing
    assert minio.client.bucket_exists("made-by-config")
    with pytest.raises(ValueError):
        make_store({"EVIDENCE_BACKEND": "minio"})
    with pytest.raises(ValueError):
        make_store({"EVIDENCE_BACKEND": "ftp"})
