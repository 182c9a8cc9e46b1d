"""The backup drill: back a demo county up, restore it into an empty database and store
elsewhere, and compare persons, cases, certificates, the audit chain's head and every
evidence object's hash (on each database engine)."""
from __future__ import annotations

import hashlib
import json

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal import create_app
from portal.evidence.services import get_store
from portal.extensions import db
from tests.conftest import BACKENDS, create_postgres_database, drop_postgres_database


def _app(tmp, label, backend):
    pg = None
    if backend == "sqlite":
        url = f"sqlite:///{tmp / f'{label}.sqlite3'}"
    else:
        pg = create_postgres_database(label)
        url = pg.render_as_string(hide_password=False)
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                      "EVIDENCE_DIR": str(tmp / f"{label}-evidence")})
    return app, pg


@pytest.fixture(scope="module", params=BACKENDS)
def county(request, tmp_path_factory):
    """A demo county (made once per engine: backups only read it)."""
    tmp = tmp_path_factory.mktemp(f"county-{request.param}")
    source, pg = _app(tmp, "county", request.param)
    with source.app_context():
        upgrade()
    runner = source.test_cli_runner()
    for args in (["seed", "reference"], ["seed", "demo", "--persons", "1000", "--seed", "7"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    yield source
    with source.app_context():
        db.engine.dispose()
    if pg is not None:
        drop_postgres_database(pg)


@pytest.fixture
def county_and_empty(county, tmp_path):
    """The county, and an empty portal (database and store) of its engine to restore into."""
    backend = county.config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0].split("+")[0]
    target, pg = _app(tmp_path, "restored", "sqlite" if backend == "sqlite" else "postgresql")
    yield county, target
    with target.app_context():
        db.engine.dispose()
    if pg is not None:
        drop_postgres_database(pg)


def _facts(app) -> dict:
    with app.app_context():
        count = {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
                 for t in ("persons", "cases", "certificates", "evidence", "audit_events")}
        head = db.session.execute(sa.text(
            "SELECT row_hash FROM audit_events ORDER BY seq DESC LIMIT 1")).scalar_one()
        store = get_store(app)
        objects = {}
        for key in store.iter_keys():
            with store.open(key) as f:
                objects[key] = hashlib.sha256(f.read()).hexdigest()
        recorded = {key: sha for key, sha in db.session.execute(
            sa.text("SELECT object_key, sha256 FROM evidence"))}
        db.session.rollback()
    return {"counts": count, "head": head, "objects": objects, "recorded": recorded}


def test_a_backup_restores_with_every_hash_equal(county_and_empty, tmp_path):
    source, target = county_and_empty
    before = _facts(source)
    assert before["counts"]["persons"] >= 1000 and before["counts"]["cases"] > 0
    assert before["objects"], "the demo county has evidence objects"

    folder = tmp_path / "backup"
    made = source.test_cli_runner().invoke(args=["backup", str(folder)])
    assert made.exit_code == 0, made.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert {o["key"]: o["sha256"] for o in manifest["objects"]} == before["objects"]

    restored = target.test_cli_runner().invoke(args=["restore", str(folder)])
    assert restored.exit_code == 0, restored.output
    assert "every count, the audit chain and every object's SHA-256 match" in restored.output
    after = _facts(target)
    assert after == before
    assert all(after["objects"][key] == sha for key, sha in after["recorded"].items())

    # Once restored, the target is no longer empty: a second restore is refused.
    again = target.test_cli_runner().invoke(args=["restore", str(folder)])
    assert again.exit_code != 0 and "not empty" in again.output


def test_a_damaged_backup_is_refused(county_and_empty, tmp_path):
    source, target = county_and_empty
    folder = tmp_path / "backup"
    assert source.test_cli_runner().invoke(args=["backup", str(folder)]).exit_code == 0
    dump = next(p for p in folder.iterdir() if p.name.startswith("database."))
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    result = target.test_cli_runner().invoke(args=["restore", str(folder)])
    assert result.exit_code != 0 and "damaged" in result.output


def test_a_backup_needs_an_empty_folder(county_and_empty, tmp_path):
    source, _ = county_and_empty
    folder = tmp_path / "used"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    result = source.test_cli_runner().invoke(args=["backup", str(folder)])
    assert result.exit_code != 0 and "not empty" in result.output
    assert (folder / "keep.txt").read_text() == "x"
