"""The object store (S3/MinIO, here moto_server) stopped in the middle of an upload or a
download: a clear page in Chinese, no evidence row, no object and (once the store is back and
reaped) no unfinished multipart upload, and the same work succeeding when the store returns.

The portal reaches the S3 server through a `FaultProxy` that stops relaying at an exact byte
count (deterministic, unlike racing a kill): from then on connections are closed and refused,
as when the server's process dies. What the server really holds is read directly, around the
proxy.
"""
from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from portal.storage import StoreUnavailable
from portal.storage_minio import MinioStore
from tests.conftest import csrf_token
from tests.faults.conftest import (
    count,
    evidence_url,
    guardian_login,
    guardian_send,
    login,
    page,
    scalar,
    upload,
)
from tests.faults.proxy import FaultProxy
from tests.storage.s3 import PatternStream, _drop_bucket

MiB = 1024 * 1024
PART = 5 * MiB  # the smallest S3 part: a 12 MiB upload is three parts
MP4_HEAD = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
UPLOAD_REFUSED = "暂时无法连接证明材料存储，未保存任何内容。请过几分钟再试。"
VIEW_REFUSED = "证明材料存储暂时无法访问。请过几分钟再试。"


@pytest.fixture
def s3(app, s3_endpoint):
    """The app's evidence store: a fresh bucket on the test S3 server, behind a proxy."""
    host, port = s3_endpoint.split(":")
    proxy = FaultProxy(host, int(port)).start()
    bucket = f"faults-{uuid.uuid4().hex[:12]}"
    settings = {"access_key": "test-key", "secret_key": "test-secret", "bucket": bucket,
                "secure": False, "region": "us-east-1", "part_size": PART}
    store = MinioStore(proxy.endpoint, **settings)
    direct = MinioStore(s3_endpoint, **settings)
    direct.ensure_bucket()
    app.extensions["evidence_store"] = store
    yield SimpleNamespace(proxy=proxy, store=store, direct=direct)
    proxy.close()
    for unfinished in direct.iter_incomplete_uploads():
        direct.abort_incomplete(unfinished)
    _drop_bucket(direct)


def video(size: int) -> PatternStream:
    return PatternStream(size, head=MP4_HEAD)


def objects(s3) -> list[str]:
    return sorted(s3.direct.iter_keys("townships/"))


def unfinished(s3) -> list[str]:
    return [u.key for u in s3.direct.iter_incomplete_uploads("townships/")]


def evidence_rows(env, world) -> int:
    return count(env, "SELECT count(*) FROM evidence WHERE case_id = :id", id=world.case_id)


def test_store_dies_in_the_middle_of_a_large_upload(env, app, client, world, s3):
    login(client, world.staff)
    size = 12 * MiB
    source = video(size)
    expected = source.sha256()
    s3.proxy.arm(upstream=7 * MiB)  # the first part is stored, the second is cut
    response = upload(client, world, source, "家访.mp4", "video")
    assert s3.proxy.cut.is_set() and s3.proxy.upstream_bytes == 7 * MiB
    assert response.status_code == 503, page(response)[:1500]
    assert UPLOAD_REFUSED in page(response)
    assert 'id="file-error"' in page(response)  # next to the file field, form still there
    assert evidence_rows(env, world) == 0
    assert count(env, "SELECT count(*) FROM audit_events WHERE action = 'evidence.upload'") == 0
    assert objects(s3) == []  # no object under any key
    # The abort could not reach a dead server: the first part waits there for the reaper.
    [left] = unfinished(s3)

    # The store is back: the same upload goes through, whole.
    s3.proxy.restore()
    response = upload(client, world, _same(source), "家访.mp4", "video")
    assert response.status_code == 302, page(response)[:1500]
    key = scalar(env, "SELECT object_key FROM evidence WHERE case_id = :id", id=world.case_id)
    assert scalar(env, "SELECT sha256 FROM evidence WHERE case_id = :id",
                  id=world.case_id) == expected
    assert objects(s3) == [key] and key != left
    with s3.direct.open(key) as body:
        digest = hashlib.sha256()
        while chunk := body.read(MiB):
            digest.update(chunk)
    assert digest.hexdigest() == expected

    # `flask evidence reap` (after its hour) frees the parts of the cut upload, nothing else.
    from portal.evidence.services import reap_orphans

    with app.app_context():  # (moto dates every upload 2010: the age rule is tested below)
        reaped = reap_orphans(s3.store, now=datetime.now(UTC) + timedelta(hours=2))
    assert reaped.aborted_uploads == [left] and reaped.removed == []
    assert reaped.with_row == 1
    assert unfinished(s3) == [] and objects(s3) == [key]


def test_reap_leaves_an_upload_under_way_alone(app):
    """An unfinished upload younger than the reaper's age may still be streaming: kept."""
    from portal.evidence.services import reap_orphans
    from portal.storage import IncompleteUpload

    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    old = IncompleteUpload("townships/1/cases/1/a", "u1", now - timedelta(minutes=61))
    young = IncompleteUpload("townships/1/cases/1/b", "u2", now - timedelta(minutes=59))

    class Store:
        def __init__(self):
            self.aborted = []

        def iter_objects(self, prefix=""):
            return iter(())

        def iter_incomplete_uploads(self, prefix=""):
            return iter([old, young])

        def abort_incomplete(self, upload):
            self.aborted.append(upload)

    store = Store()
    with app.app_context():
        result = reap_orphans(store, now=now)
    assert store.aborted == [old] and result.aborted_uploads == [old.key]
    assert result.kept_young == 1


def _same(source: PatternStream) -> PatternStream:
    """The same bytes again, as the user choosing the same file a second time."""
    return PatternStream(source.size, source.head, source.block)


def test_a_cut_connection_to_a_live_store_is_retried(env, app, client, world, s3):
    """Only the connection breaks (the store stays up): the part is sent again and the upload
    completes in the same request."""
    login(client, world.staff)
    source = video(12 * MiB)
    s3.proxy.arm(upstream=7 * MiB, outage=False)
    response = upload(client, world, source, "v.mp4", "video")
    assert s3.proxy.cut.is_set()
    assert response.status_code == 302, page(response)[:1500]
    assert scalar(env, "SELECT sha256 FROM evidence WHERE case_id = :id",
                  id=world.case_id) == source.sha256()
    assert len(objects(s3)) == 1 and unfinished(s3) == []


def _stored_video(env, client, world, s3, size: int) -> tuple[int, PatternStream]:
    source = video(size)
    assert upload(client, world, source, "v.mp4", "video").status_code == 302
    evidence_id = scalar(env, "SELECT id FROM evidence WHERE case_id = :id", id=world.case_id)
    return evidence_id, _same(source)


def test_store_down_when_evidence_is_opened(env, app, client, world, s3):
    login(client, world.staff)
    evidence_id, source = _stored_video(env, client, world, s3, 64 * 1024)
    url = evidence_url(world, f"/items/{evidence_id}")
    s3.proxy.stop()
    response = client.get(url)
    assert response.status_code == 503
    # Nothing was shown, so no view is on record.
    assert count(env, "SELECT count(*) FROM audit_events WHERE action = 'evidence.view'") == 0
    body = page(response)
    assert VIEW_REFUSED in body and "Traceback" not in body and "urllib3" not in body
    assert response.headers["Retry-After"].isdigit()
    # The case page still opens; only the store's part is missing from it.
    assert client.get(f"/t/{world.code}/cases/{world.case_id}").status_code == 200
    s3.proxy.restore()
    response = client.get(url)
    assert response.status_code == 200
    assert hashlib.sha256(response.get_data()).hexdigest() == source.sha256()
    assert count(env, "SELECT count(*) FROM audit_events WHERE action = 'evidence.view'") == 1


def test_store_dies_in_the_middle_of_a_download_and_the_rest_follows(env, app, client, world,
                                                                      s3):
    """Once the first bytes left, no page can replace the answer: the download breaks off
    (shorter than its declared length, so the browser reports it failed, never a silent
    truncated file) and, the store back, a range request fetches exactly the rest."""
    login(client, world.staff)
    size = 12 * MiB
    evidence_id, source = _stored_video(env, client, world, s3, size)
    url = evidence_url(world, f"/items/{evidence_id}")
    s3.proxy.arm(downstream=3 * MiB)
    response = client.get(url, buffered=False)
    assert response.status_code == 200 and response.headers["Content-Length"] == str(size)
    assert response.headers["Accept-Ranges"] == "bytes"
    received = bytearray()
    with pytest.raises(StoreUnavailable):
        for chunk in response.response:
            received += chunk
    response.close()
    assert 0 < len(received) < size
    s3.proxy.restore()
    rest = client.get(url, headers={"Range": f"bytes={len(received)}-"})
    assert rest.status_code == 206
    assert rest.headers["Content-Range"] == f"bytes {len(received)}-{size - 1}/{size}"
    assert hashlib.sha256(bytes(received) + rest.get_data()).hexdigest() == source.sha256()


def test_text_preview_when_the_store_is_down(env, app, client, world, s3):
    login(client, world.staff)
    response = client.post(evidence_url(world, "/statement"),
                           data={"csrf_token": csrf_token(client), "text": "邻居证明他长期卧床。"})
    assert response.status_code == 302
    case_page = f"/t/{world.code}/cases/{world.case_id}"
    s3.proxy.stop()
    body = page(client.get(case_page))
    assert "邻居证明他长期卧床。" not in body
    assert "暂时无法显示这段文字：证明材料存储无法访问。" in body
    s3.proxy.restore()
    assert "邻居证明他长期卧床。" in page(client.get(case_page))


def test_guardian_upload_when_the_store_dies(env, app, client, world, s3):
    guardian_login(client, world)
    source = video(12 * MiB)
    s3.proxy.arm(upstream=7 * MiB)
    response = guardian_send(client, world, source)
    assert s3.proxy.cut.is_set()
    assert response.status_code == 200  # the guardian's form again, with the message
    assert UPLOAD_REFUSED in page(response)
    assert evidence_rows(env, world) == 0
    assert count(env, "SELECT count(*) FROM guardian_uploads WHERE case_id = :id",
                 id=world.case_id) == 0
    assert objects(s3) == []
    s3.proxy.restore()
    response = guardian_send(client, world, _same(source))
    assert response.status_code == 302, page(response)[:1500]
    assert evidence_rows(env, world) == 1
    assert count(env, "SELECT count(*) FROM guardian_uploads WHERE case_id = :id",
                 id=world.case_id) == 1
