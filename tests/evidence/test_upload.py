"""Uploading evidence on the case page: content-checked types, limits, harmless names, the
store being down, the database failing after the object was written, and streaming memory."""
from __future__ import annotations

import hashlib
import io
import tracemalloc

import pytest
import sqlalchemy as sa
from sqlalchemy import event, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from portal.evidence.models import Evidence
from tests.cases.helpers import text
from tests.conftest import csrf_token
from tests.evidence.conftest import (
    EXE,
    HTML,
    JPEG,
    MP4,
    PDF,
    WEBM,
    case_url,
    stored_keys,
)
from tests.storage.s3 import PatternStream


def upload(client, w, content: bytes | io.IOBase, filename: str, kind: str,
           claimed: str = "application/octet-stream"):
    """Post one file as a browser does (CSRF token, kind, then the file), closing the body."""
    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    fields = {"csrf_token": csrf_token(client), "kind": kind,
              "file": FileStorage(stream, filename=filename, content_type=claimed)}
    body, length, boundary = stream_encode_multipart(fields)
    try:
        response = client.post(case_url(w, "/upload"), input_stream=body,
                               content_length=length,
                               content_type=f'multipart/form-data; boundary="{boundary}"')
    finally:
        body.close()
    return response


def rows(db_session, w):
    return db_session.scalars(select(Evidence).where(Evidence.case_id == w.case.id)).all()


@pytest.mark.parametrize("content,filename,kind,expected", [
    (JPEG, "IMG_0001.JPG", "photo", "image/jpeg"),
    (PDF, "病历.pdf", "medical_record", "application/pdf"),
    (MP4, "VID.mp4", "video", "video/mp4"),
    (WEBM, "clip.webm", "video", "video/webm"),
    ("我在家里照顾母亲，她不能走路。".encode(), "statement.txt", "statement", "text/plain"),
])
def test_upload_keeps_the_object_and_its_record(client, post, login_as, world, app_store,
                                                db_session, audits, content, filename, kind,
                                                expected):
    login_as(world.staff)
    response = upload(client, world, content, filename, kind, claimed="application/octet-stream")
    assert response.status_code == 302, text(response)[:2000]
    assert response.headers["Location"].endswith(f"/cases/{world.case.id}#evidence")
    [row] = rows(db_session, world)
    assert row.content_type == expected  # from the bytes, not from the claim
    assert row.size == len(content)
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.original_filename == filename
    assert row.uploaded_by_id == world.staff.id and row.township_id == world.township.id
    assert row.object_key.startswith(f"townships/{world.township.id}/cases/{world.case.id}/")
    assert filename not in row.object_key
    with app_store.open(row.object_key) as body:
        assert body.read(len(content) + 1) == content
    [audit] = audits("evidence.upload")
    assert audit.object_id == row.id and audit.details["size"] == len(content)
    assert world.person.name not in str(audit.details)


def test_the_assigned_doctor_uploads_too(client, post, login_as, world, app_store, db_session):
    login_as(world.doctor)
    assert upload(client, world, JPEG, "x.jpg", "photo").status_code == 302
    assert len(rows(db_session, world)) == 1


@pytest.mark.parametrize("user", ["liaison", "far_liaison", "other_doctor", "other_staff"])
def test_others_cannot_upload(client, post, login_as, world, app_store, db_session, user):
    login_as(getattr(world, user))
    response = upload(client, world, JPEG, "x.jpg", "photo")
    # A liaison sees the case but may not add to it; the others do not see it at all.
    assert response.status_code == (403 if user == "liaison" else 404)
    assert rows(db_session, world) == [] and stored_keys(app_store) == []


@pytest.mark.parametrize("content,filename,claimed,kind", [
    (EXE, "photo.jpg", "image/jpeg", "photo"),
    (HTML, "record.pdf", "application/pdf", "medical_record"),
    (b"PK\x03\x04" + b"\x00" * 100, "scan.png", "image/png", "photo"),
    (PDF, "photo.jpg", "image/jpeg", "photo"),  # a real PDF is not a photo
    (JPEG, "clip.mp4", "video/mp4", "video"),
])
def test_disguised_or_wrong_types_are_refused(client, post, login_as, world, app_store,
                                              db_session, content, filename, claimed, kind):
    login_as(world.staff)
    response = upload(client, world, content, filename, kind, claimed)
    assert response.status_code == 400
    page = text(response)
    assert "This file type cannot be kept as" in page
    assert 'id="file-error"' in page  # the message sits next to the file field
    assert rows(db_session, world) == [] and stored_keys(app_store) == []


def test_empty_file_and_no_file(client, post, login_as, world, app_store, db_session):
    login_as(world.staff)
    response = upload(client, world, b"", "empty.jpg", "photo")
    assert response.status_code == 400
    assert "Choose a file to upload." in text(response) or "The file is empty" in text(response)
    response = post(case_url(world, "/upload"), data={"kind": "photo"},
                    content_type="multipart/form-data")
    assert response.status_code == 400 and "Choose a file to upload." in text(response)
    assert rows(db_session, world) == []


def test_oversize_is_refused_and_nothing_kept(client, post, login_as, world, app_store,
                                             db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_OTHER_MB", 1)
    login_as(world.staff)
    big = PatternStream(6 * 1024 * 1024 + 5, head=JPEG[:20])  # past one S3 part
    response = upload(client, world, big, "big.jpg", "photo", "image/jpeg")
    assert response.status_code == 413
    assert "larger than the limit of 1 MB" in text(response)
    assert rows(db_session, world) == [] and stored_keys(app_store) == []
    if app_store.backend == "minio":  # the aborted multipart upload left no parts behind
        assert list(app_store.client._list_multipart_uploads(app_store.bucket).uploads) == []


def test_video_has_its_own_larger_limit(client, post, login_as, world, app_store, db_session,
                                        app, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_OTHER_MB", 1)
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_VIDEO_MB", 3)
    login_as(world.staff)
    video = PatternStream(2 * 1024 * 1024, head=MP4[:40])
    assert upload(client, world, video, "v.mp4", "video").status_code == 302
    too_big = PatternStream(3 * 1024 * 1024 + 1, head=MP4[:40])
    assert upload(client, world, too_big, "v2.mp4", "video").status_code == 413
    assert len(rows(db_session, world)) == 1 and len(stored_keys(app_store)) == 1


def test_allowed_types_are_configuration(client, post, login_as, world, app_store, db_session,
                                         app, monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_ALLOWED_TYPES", ("image/png",))
    login_as(world.staff)
    response = upload(client, world, JPEG, "a.jpg", "photo")
    assert response.status_code == 400 and "Allowed: PNG." in text(response)
    assert rows(db_session, world) == []


@pytest.mark.parametrize("filename", ["../../../../etc/passwd.jpg", "..\\..\\win.ini.jpg",
                                      "/etc/shadow.jpg", "a\x00b.jpg", "%2e%2e%2fx.jpg"])
def test_path_traversal_names_are_harmless(client, post, login_as, world, app_store,
                                           db_session, filename, tmp_path):
    login_as(world.staff)
    assert upload(client, world, JPEG, filename, "photo").status_code == 302
    [row] = rows(db_session, world)
    assert "/" not in row.original_filename and "\\" not in row.original_filename
    assert ".." not in row.object_key and row.object_key.count("/") == 4
    assert stored_keys(app_store) == [row.object_key]
    if app_store.backend == "local":
        files = [p for p in app_store.root.rglob("*") if p.is_file()]
        assert [p.resolve() for p in files] == [app_store.path_for(row.object_key).resolve()]


def test_store_down_gives_a_clear_error_and_no_row(client, post, login_as, world, app,
                                                    db_session, audits):
    from portal.storage_minio import MinioStore
    from tests.storage.s3 import free_port

    down = MinioStore(f"127.0.0.1:{free_port()}", "k", "s", "evidence", secure=False,
                      region="us-east-1")
    app.extensions["evidence_store"] = down
    try:
        login_as(world.staff)
        response = upload(client, world, JPEG, "x.jpg", "photo")
    finally:
        app.extensions.pop("evidence_store", None)
    assert response.status_code == 503
    assert "The evidence store cannot be reached just now, so nothing was saved." in text(
        response)
    assert rows(db_session, world) == [] and audits("evidence.upload") == []


def test_database_failure_after_the_object_removes_the_object(client, post, login_as, world,
                                                              app_store, db_session):
    login_as(world.staff)

    def fail(mapper, connection, target):
        raise sa.exc.OperationalError("INSERT INTO evidence", {}, Exception("disk I/O error"))

    event.listen(Evidence, "before_insert", fail)
    try:
        response = upload(client, world, JPEG, "x.jpg", "photo")
    finally:
        event.remove(Evidence, "before_insert", fail)
    assert response.status_code == 503  # the database is unavailable: nothing was saved
    assert "The portal cannot reach its database just now, so nothing was saved." in text(
        response)
    assert stored_keys(app_store) == []  # no orphan
    assert rows(db_session, world) == []  # no dangling row


def test_memory_stays_low_while_streaming_a_large_upload(client, post, login_as, world,
                                                         app_store, db_session, app,
                                                         monkeypatch):
    monkeypatch.setitem(app.config, "EVIDENCE_MAX_VIDEO_MB", 200)
    login_as(world.staff)
    size = 120 * 1024 * 1024
    source = PatternStream(size, head=MP4[:40])
    expected = source.sha256()
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        response = upload(client, world, source, "long.mp4", "video")
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert response.status_code == 302, text(response)[:1000]
    [row] = rows(db_session, world)
    assert row.size == size and row.sha256 == expected
    assert peak < 20 * 1024 * 1024, f"peak Python memory grew by {peak / 2**20:.1f} MiB"


def test_a_typed_statement_becomes_a_text_object(client, post, login_as, world, app_store,
                                                 db_session):
    login_as(world.staff)
    response = post(case_url(world, "/statement"), data={"text": "邻居证明他长期卧床。"})
    assert response.status_code == 302
    [row] = rows(db_session, world)
    assert row.kind == "statement" and row.content_type == "text/plain"
    page = text(client.get(f"/t/{world.township.code}/cases/{world.case.id}"))
    assert "邻居证明他长期卧床。" in page


def test_upload_form_on_the_case_page(client, login_as, world, app_store):
    login_as(world.staff)
    page = text(client.get(f"/t/{world.township.code}/cases/{world.case.id}"))
    assert 'enctype="multipart/form-data"' in page
    assert 'capture="environment"' in page and 'accept="image/jpeg,' in page
    # The file input is the form's last field (the body is read as it streams).
    form = page[page.index('class="border rounded p-2 mb-3 evidence-upload"'):]
    form = form[:form.index("</form>")]
    assert form.index('name="csrf_token"') < form.index('name="kind"') < form.index(
        'name="file"')
    login_as(world.liaison)
    page = text(client.get(f"/t/{world.township.code}/cases/{world.case.id}"))
    assert "evidence-upload" not in page and 'id="evidence"' in page
