"""An uploaded roster from upload to preview and import: the stored file and its `ImportJob`.

The file waits in IMPORT_DIR under a random name until the import has finished (or the upload
is discarded or expires after a day). Parsing (the preview) and importing run as background
jobs (portal/imports/tasks.py, docs/jobs.md); these functions are their work and change the
session only.
"""
from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from portal import uow
from portal.audit.services import record_event
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


def job_path(import_dir: str | Path, job: ImportJob) -> Path:
    return Path(import_dir) / job.stored_name


def discard_stale_uploads(import_dir: str | Path, now=None) -> int:
    """Delete uploads older than a day (and mark their jobs expired); returns files removed."""
    now = now or utcnow()
    cutoff = now - STALE_AFTER
    stale = db.session.scalars(
        select(ImportJob).where(ImportJob.created_at < cutoff,
                                ImportJob.status.in_(("uploaded", "ready", "failed")))
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
    upload.close()  # a large upload is spooled to a temporary file: free it now
    original = os.path.basename((upload.filename or "").replace("\\", "/"))[:255]
    job = ImportJob(township_id=township.id, token=token, list_kind=list_kind,
                    filename=original, stored_name=stored, uploaded_by_id=actor.id,
                    status="parsing")
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
        uow.after_commit(lambda: remove_upload(import_dir, job))
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
