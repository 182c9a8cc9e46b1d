"""Consistency under faults: a row rolled back with its unit of work takes its object along;
`evidence reap` removes old objects without a row; `evidence verify` finds objects whose
SHA-256 no longer matches."""
from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from portal import uow
from portal.evidence.models import Evidence
from portal.evidence.services import reap_orphans, store_upload
from portal.refusals import Refused
from portal.storage import evidence_key
from portal.storage_minio import MinioStore
from tests.evidence.conftest import JPEG, PDF, stored_keys
from tests.storage.s3 import free_port


def add(app, world, content=JPEG, kind="photo", store=None):
    return store_upload(case=world.case, stream=io.BytesIO(content), filename="a.jpg",
                        claimed_type="image/jpeg", kind=kind, actor=world.staff,
                        store=store or app.extensions["evidence_store"], config=app.config)


def tamper(store, key: str, data: bytes) -> None:
    """Change an object behind the portal's back (a disk fault, an intruder)."""
    if store.backend == "local":
        store.path_for(key).write_bytes(data)
    else:
        store.client.put_object(store.bucket, key, io.BytesIO(data), len(data))


def test_rolled_back_row_takes_its_object_along(app, world, app_store, db_session):
    evidence = add(app, world)
    key = evidence.object_key
    assert stored_keys(app_store) == [key]
    uow.rollback()  # e.g. a later step of the same request failed, or its commit did
    assert stored_keys(app_store) == []


def test_committed_row_keeps_its_object(app, world, app_store, db_session):
    evidence = add(app, world)
    uow.commit()
    uow.rollback()
    assert stored_keys(app_store) == [evidence.object_key]


def test_store_down_refuses_without_a_row(app, world, db_session):
    down = MinioStore(f"127.0.0.1:{free_port()}", "k", "s", "evidence", secure=False,
                      region="us-east-1")
    with pytest.raises(Refused) as refused:
        add(app, world, store=down)
    assert refused.value.code == "evidence_store_unavailable"
    assert db_session.scalars(select(Evidence)).all() == []


def test_reap_removes_only_old_objects_without_a_row(app, world, app_store, db_session):
    kept = add(app, world)
    orphan = evidence_key(world.township.id, world.case.id)
    app_store.put(orphan, io.BytesIO(JPEG))
    young = reap_orphans(app_store)
    assert young.removed == [] and young.kept_young == 1 and young.with_row == 1
    later = datetime.now(UTC) + timedelta(hours=2)
    result = reap_orphans(app_store, now=later)
    assert result.removed == [orphan]
    assert stored_keys(app_store) == [kept.object_key]


def test_reap_command(app, world, runner, tmp_path, db_session, monkeypatch):
    from portal.storage import LocalStore

    store = LocalStore(tmp_path / "evidence")
    monkeypatch.setitem(app.extensions, "evidence_store", store)
    kept = add(app, world, store=store)
    orphan = evidence_key(world.township.id, world.case.id)
    store.put(orphan, io.BytesIO(b"left by a crash"))
    hours_ago = time.time() - 2 * 3600
    for key in (orphan, kept.object_key):
        os.utime(store.path_for(key), (hours_ago, hours_ago))
    result = runner.invoke(args=["evidence", "reap", "--dry-run"])
    assert f"would remove {orphan}" in result.output and store.stat(orphan)
    result = runner.invoke(args=["evidence", "reap"])
    assert result.exit_code == 0, result.output
    assert f"removed {orphan}" in result.output and "orphans removed: 1" in result.output
    assert stored_keys(store) == [kept.object_key]


def test_verify_finds_a_tampered_object(app, world, app_store, runner, db_session):
    good = add(app, world)
    bad = add(app, world, PDF, "medical_record")
    result = runner.invoke(args=["evidence", "verify"])
    assert result.exit_code == 0, result.output
    assert "checked: 2; mismatching: 0" in result.output
    tamper(app_store, bad.object_key, PDF.replace(b"Catalog", b"Catalug"))
    result = runner.invoke(args=["evidence", "verify", "--township", world.township.code])
    assert result.exit_code == 1
    assert f"MISMATCH evidence={bad.id} " in result.output and "problem=sha256" in result.output
    assert f"evidence={good.id} " not in result.output
    result = runner.invoke(args=["evidence", "verify", "--township", world.other.code])
    assert result.exit_code == 0 and "checked: 0" in result.output
    app_store.delete(good.object_key)
    result = runner.invoke(args=["evidence", "verify"])
    assert f"MISMATCH evidence={good.id} " in result.output and "problem=missing" in result.output
    result = runner.invoke(args=["evidence", "verify", "--township", "nowhere"])
    assert result.exit_code != 0 and "no township" in result.output
