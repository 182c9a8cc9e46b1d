"""Upload jobs from upload to preview and import, in a background thread or inline.

Progress lives in a small in-process registry keyed by the job's random token; the page
polls it through a JSON endpoint. The job row in the database holds status and counts.

A confirmed import holds an advisory lock (`flock`) on its uploaded file while it runs. The
import commits all or nothing; when it ends without recording an outcome (the database went
away mid-import, the process was killed), the job still reads "importing" but nobody holds the
lock: `resume_interrupted` puts it back to "ready" (its file is kept), so that the same
confirmation can be sent again once the database is back. The lock needs IMPORT_DIR on the
machine that runs the portal's workers (it is local, see the README).
"""
from __future__ import annotations

import fcntl
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_event
from portal.auth.models import User
from portal.errors import is_database_unavailable
from portal.extensions import db
from portal.imports.bulk import (
    ImportResult,
    _cycle_collector_paused,
    import_file,
)
from portal.imports.matching import plan_import
from portal.imports.reader import WorkbookError, parse_workbook
from portal.models_base import utcnow
from portal.reference.models import Township
from portal.rosters.models import ImportJob

STALE_AFTER = timedelta(days=1)
_LOCK = threading.Lock()
_PROGRESS: dict[str, dict] = {}
_KEEP_SECONDS = 3600


def set_progress(token: str, phase: str, done: int, total: int) -> None:
    """Record how far a job has come (thread-safe)."""
    with _LOCK:
        _PROGRESS[token] = {"phase": phase, "done": done, "total": total, "at": time.time()}
        cutoff = time.time() - _KEEP_SECONDS
        for key in [k for k, v in _PROGRESS.items() if v["at"] < cutoff]:
            del _PROGRESS[key]


def get_progress(token: str) -> dict | None:
    with _LOCK:
        found = _PROGRESS.get(token)
        return dict(found) if found else None


def start(app: Flask, token: str, phase: str, lock: ImportLock | None = None) -> None:
    """Run the job's `phase` ("parse" or "import"): in a thread when configured, else now.

    `lock` (an import's, see `ImportLock.take`) is released when the phase ends."""
    if app.config.get("IMPORT_IN_BACKGROUND"):
        worker = threading.Thread(target=_in_own_context, args=(app, token, phase, lock),
                                  daemon=True, name=f"import-{phase}")
        worker.start()
    else:
        work(token, phase, lock)


def _in_own_context(app: Flask, token: str, phase: str, lock: ImportLock | None) -> None:
    with app.app_context():
        try:
            work(token, phase, lock)
        except Exception as exc:
            if not is_database_unavailable(exc):
                raise
            # Logged by `work`; the job is offered again once the database is back.
        finally:
            db.session.remove()


class ImportLock:
    """The advisory lock a running import holds on its uploaded file (see the module doc);
    the operating system drops it when its holder ends, however it ends."""

    def __init__(self, file):
        self._file = file

    @classmethod
    def take(cls, import_dir: str | Path, job: ImportJob) -> ImportLock | None:
        """The lock of the job's file, or None when another import holds it or the file is
        gone."""
        try:
            file = open(job_path(import_dir, job), "rb")  # noqa: SIM115 (kept while locked)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.close()
            return None
        return cls(file)

    def release(self) -> None:
        if not self._file.closed:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()


def resume_interrupted(import_dir: str | Path, job: ImportJob) -> bool:
    """Put an import that ended without an outcome back to "ready" (caller commits).

    Nothing of it was committed (an import is one transaction), its file is still there and
    nobody holds its lock: it may be confirmed again.
    """
    if job.status != "importing":
        return False
    lock = ImportLock.take(import_dir, job)
    if lock is None:  # still running, or its file is gone (then the job cannot be resumed)
        return False
    lock.release()
    job.status = "ready"
    db.session.flush()
    return True


def work(token: str, phase: str, lock: ImportLock | None = None) -> None:
    """Do one phase of a job and commit its outcome; on failure roll back and record why.

    When the database itself is unavailable nothing can be recorded: the error goes up (the
    user's page says so), the file stays and the job can be resumed (`resume_interrupted`).
    """
    config = current_app.config
    import_dir = config["IMPORT_DIR"]
    max_rows = config["ROSTER_MAX_ROWS"]
    job = db.session.execute(select(ImportJob).where(ImportJob.token == token)).scalar_one()
    township = db.session.get(Township, job.township_id)
    set_progress(token, phase, 0, 0)
    try:
        if phase == "parse":
            preview_job(job, township, import_dir, max_rows,
                        progress=lambda d, t: set_progress(token, "parsing", d, t))
        else:
            actor = db.session.get(User, job.uploaded_by_id)
            run_job(job, township, actor, import_dir, max_rows,
                    progress=lambda p, d, t: set_progress(token, p, d, t))
        db.session.commit()
    except Exception as exc:
        if is_database_unavailable(exc):
            current_app.logger.warning("roster import job stopped in %s: database unavailable",
                                       phase)
            raise
        db.session.rollback()
        code = "conflict" if isinstance(exc, IntegrityError) else "failed"
        current_app.logger.exception("roster import job %s failed in %s", job_id_of(token),
                                     phase)
        job = db.session.execute(select(ImportJob).where(ImportJob.token == token)).scalar_one()
        job.status = "failed"
        job.error = code
        job.finished_at = utcnow()
        db.session.commit()
        remove_upload(import_dir, job)
        return
    finally:
        if lock is not None:
            lock.release()
        set_progress(token, "finished", 1, 1)
    if phase == "import":
        remove_upload(import_dir, job)


def job_id_of(token: str) -> int | None:
    """The job's numeric id for logs (the token is a credential-like secret of the URL)."""
    return db.session.execute(
        select(ImportJob.id).where(ImportJob.token == token)
    ).scalar_one_or_none()


def job_path(import_dir: str | Path, job: ImportJob) -> Path:
    return Path(import_dir) / job.stored_name


def discard_stale_uploads(import_dir: str | Path, now=None) -> int:
    """Delete uploads older than a day (and mark their jobs expired); returns files removed."""
    now = now or utcnow()
    cutoff = now - STALE_AFTER
    stale = db.session.scalars(
        select(ImportJob).where(ImportJob.created_at < cutoff,
                                ImportJob.status.in_(("uploaded", "parsing", "ready")))
    ).all()
    for job in stale:
        job.status = "expired"
        job.error = "expired"
        job.finished_at = now
    removed = 0
    directory = Path(import_dir)
    if directory.is_dir():
        limit = time.time() - STALE_AFTER.total_seconds()
        for entry in os.scandir(directory):
            if entry.is_file() and entry.stat().st_mtime < limit:
                os.unlink(entry.path)
                removed += 1
    db.session.flush()
    return removed


def create_job(township: Township, actor, list_kind: str, upload, import_dir: str | Path
               ) -> ImportJob:
    """Store an uploaded file under a random name and open a job for it."""
    directory = Path(import_dir)
    directory.mkdir(parents=True, exist_ok=True)
    discard_stale_uploads(directory)
    token = secrets.token_urlsafe(24)
    stored = f"{secrets.token_hex(16)}.upload"
    upload.save(directory / stored)
    original = os.path.basename((upload.filename or "").replace("\\", "/"))[:255]
    job = ImportJob(township_id=township.id, token=token, list_kind=list_kind,
                    filename=original, stored_name=stored, uploaded_by_id=actor.id,
                    status="uploaded")
    db.session.add(job)
    db.session.flush()
    record_event("roster.upload", actor=actor, obj=job, details={"list_kind": list_kind})
    return job


def remove_upload(import_dir: str | Path, job: ImportJob) -> None:
    """Delete the stored file of a job (it is kept only until the job ends)."""
    try:
        job_path(import_dir, job).unlink()
    except FileNotFoundError:
        pass


def preview_job(job: ImportJob, township: Township, import_dir: str | Path, max_rows: int,
                progress: Callable[[int, int], None] | None = None) -> None:
    """Parse the job's file and record the counts and rejected rows the preview shows."""
    try:
        with _cycle_collector_paused():
            parsed = parse_workbook(job_path(import_dir, job), job.list_kind,
                                    max_rows=max_rows, progress=progress)
    except WorkbookError as exc:
        job.status = "unreadable"
        job.error = exc.code
        job.error_params = exc.params
        job.finished_at = utcnow()
        remove_upload(import_dir, job)
        db.session.flush()
        return
    with _cycle_collector_paused():
        plan = plan_import(township, parsed)
    job.total_rows = parsed.total
    job.valid_rows = parsed.total - len(plan.rejects)
    job.new_rows = len(plan.new)
    job.update_rows = len(plan.changed)
    job.unchanged_rows = len(plan.existing) - len(plan.changed)
    job.rejected_rows = len(plan.rejects)
    job.rejects = [r.as_json() for r in plan.rejects]
    job.notes = [list(note) for note in parsed.notes]
    job.new_villages = plan.new_villages
    job.status = "ready"
    db.session.flush()


def run_job(job: ImportJob, township: Township, actor, import_dir: str | Path, max_rows: int,
            progress: Callable[[str, int, int], None] | None = None) -> ImportResult:
    """Import the confirmed job's file in the caller's transaction and close the job."""
    result = import_file(township, actor, job_path(import_dir, job), job.list_kind,
                         max_rows=max_rows, progress=progress)
    job.imported = result.imported
    job.updated = result.updated
    job.rejected_rows = result.rejected
    job.rejects = [r.as_json() for r in result.rejects]
    job.notes = [list(note) for note in result.notes]
    job.status = "done"
    job.finished_at = utcnow()
    db.session.flush()
    return result
