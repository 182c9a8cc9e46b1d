"""Making a backup and restoring it.

A backup is a folder:

    manifest.json      what was backed up: engine, schema revision, counts, audit chain head,
                       and every object of the evidence store with its size and SHA-256
    database.dump      PostgreSQL: `pg_dump --format=custom` (or database.sqlite3 for SQLite,
                       copied with SQLite's online backup API)
    objects/<key>      every object of the evidence store

`restore()` refuses a database or store that is not empty, restores both, and checks that the
counts, the audit chain (walked end to end) and every object's SHA-256 equal the manifest's.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db

MANIFEST = "manifest.json"
CHUNK = 1 << 20
# What the drill compares besides the objects: the tables a county cannot lose.
COUNTED = ("persons", "cases", "certificates", "evidence", "audit_events", "users",
           "holder_entries")


class BackupError(Exception):
    """The backup or restore cannot go on; the message says why (for the operator)."""


@dataclass
class Report:
    seconds: float = 0.0
    objects: int = 0
    bytes: int = 0
    counts: dict = field(default_factory=dict)
    audit_head: str = ""
    problems: list[str] = field(default_factory=list)


def _pg_url(url: sa.engine.URL) -> str:
    """The URL as libpq reads it (no SQLAlchemy driver name)."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def _counts() -> dict[str, int]:
    inspector = sa.inspect(db.engine)
    tables = set(inspector.get_table_names())
    return {name: db.session.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()
            for name in COUNTED if name in tables}


def _audit_head() -> str:
    return db.session.execute(sa.text(
        "SELECT row_hash FROM audit_events ORDER BY seq DESC LIMIT 1")).scalar() or ""


def _revision() -> str:
    return db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() or ""


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _dump_database(target: Path) -> dict:
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        out = target / "database.dump"
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
                        f"--file={out}", f"--dbname={_pg_url(url)}"],
                       check=True, capture_output=True, timeout=3600)
    else:
        out = target / "database.sqlite3"
        source = sqlite3.connect(url.database)
        try:
            with sqlite3.connect(out) as copy:
                source.backup(copy)
        finally:
            source.close()
    return {"engine": url.get_backend_name(), "file": out.name, "sha256": _sha256_file(out)}


def _copy_objects(store, target: Path, report: Report) -> list[dict]:
    objects = []
    for info in store.iter_objects():
        path = target / "objects" / info.key
        path.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with store.open(info.key) as source, path.open("wb") as out:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
        objects.append({"key": info.key, "size": size, "sha256": digest.hexdigest()})
        report.objects += 1
        report.bytes += size
    return objects


def _recorded_hashes() -> dict[str, str]:
    """The SHA-256 the database keeps for each evidence object."""
    rows = db.session.execute(sa.text("SELECT object_key, sha256 FROM evidence"))
    return {key: sha for key, sha in rows if key}


def make_backup(target: Path) -> Report:
    """Back the database and the evidence store up into the empty folder `target`."""
    from portal.evidence.services import get_store

    started = time.perf_counter()
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise BackupError(f"{target} is not empty: choose a new folder for the backup")
    report = Report()
    # Read the figures first: a change committed while the dump runs is in the dump but not
    # in the counts, and the restore then says so rather than passing silently.
    report.counts, report.audit_head = _counts(), _audit_head()
    revision = _revision()
    db.session.rollback()
    database = _dump_database(target)
    objects = _copy_objects(get_store(current_app), target, report)
    recorded = _recorded_hashes()
    db.session.rollback()
    copied = {o["key"]: o["sha256"] for o in objects}
    for key, sha in recorded.items():
        if key not in copied:
            report.problems.append(f"object {key} is missing from the store")
        elif copied[key] != sha:
            report.problems.append(f"object {key} does not match its recorded SHA-256")
    manifest = {"format": 1, "revision": revision, "database": database,
                "counts": report.counts, "audit_head": report.audit_head, "objects": objects,
                "problems": report.problems}
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    report.seconds = time.perf_counter() - started
    return report


def _database_empty() -> bool:
    return not sa.inspect(db.engine).get_table_names()


def _restore_database(source: Path, manifest: dict) -> None:
    url = db.engine.url
    database = manifest["database"]
    dump = source / database["file"]
    if _sha256_file(dump) != database["sha256"]:
        raise BackupError(f"{dump.name} does not match the manifest: the backup is damaged")
    if database["engine"] != url.get_backend_name():
        raise BackupError(f"the backup is of {database['engine']}, this portal uses "
                          f"{url.get_backend_name()}")
    db.session.remove()
    db.engine.dispose()
    if database["engine"] == "postgresql":
        result = subprocess.run(
            ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
             "--single-transaction", f"--dbname={_pg_url(url)}", str(dump)],
            check=False, capture_output=True, timeout=3600)
        if result.returncode != 0:
            raise BackupError("pg_restore failed: " + result.stderr.decode()[-500:])
    else:
        with sqlite3.connect(dump) as backup, sqlite3.connect(url.database) as live:
            backup.backup(live)


def restore(source: Path) -> Report:
    """Restore the backup in `source` into this portal's empty database and store, and check
    it against the manifest (counts, audit chain, every object's SHA-256)."""
    from portal.audit.chain import verify_chain
    from portal.evidence.services import get_store

    started = time.perf_counter()
    manifest_path = source / MANIFEST
    if not manifest_path.is_file():
        raise BackupError(f"{source} holds no {MANIFEST}: not a backup folder")
    manifest = json.loads(manifest_path.read_text())
    store = get_store(current_app)
    if not _database_empty():
        raise BackupError("the database is not empty: restore into a new, empty database")
    if next(iter(store.iter_keys()), None) is not None:
        raise BackupError("the evidence store is not empty: restore into an empty store")
    _restore_database(source, manifest)
    report = Report()
    for entry in manifest["objects"]:
        path = source / "objects" / entry["key"]
        with path.open("rb") as f:
            stored = store.put(entry["key"], f)
        if stored.sha256 != entry["sha256"]:
            report.problems.append(f"object {entry['key']} restored with another SHA-256")
        report.objects += 1
        report.bytes += stored.size
    report.counts, report.audit_head = _counts(), _audit_head()
    if report.counts != manifest["counts"]:
        report.problems.append(f"counts differ: {report.counts} != {manifest['counts']}")
    if report.audit_head != manifest["audit_head"]:
        report.problems.append("the audit chain's head differs from the backup's")
    walk = verify_chain(db.session)
    if walk.broken is not None:
        report.problems.append(f"the audit chain is broken: {walk.broken.message}")
    kept = {o["key"]: o["sha256"] for o in manifest["objects"]}
    for key, sha in _recorded_hashes().items():
        if kept.get(key) != sha:
            report.problems.append(f"evidence {key}: no object with its recorded SHA-256")
    db.session.rollback()
    report.seconds = time.perf_counter() - started
    return report


def remove_partial(target: Path) -> None:
    """Remove a backup folder that failed halfway (never a folder that was not empty)."""
    if target.exists():
        shutil.rmtree(target)
