"""The roster's background jobs: checking an uploaded file (the preview) and importing it.

Each runs in the job runner's unit of work (portal/jobs/runner.py). An import is one
transaction with the job's "done": a worker killed in the middle leaves no row of it, the
reaper marks the job failed, and a retry imports the whole file again from its stored copy
(which is deleted only once an import has committed). Rows are matched by ID number, so even
a file imported twice updates people instead of doubling them.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app
from sqlalchemy import update

from portal import uow
from portal.auth.models import User
from portal.extensions import db
from portal.imports.uploads import job_path, preview_job, remove_upload, run_job
from portal.jobs.models import Job
from portal.jobs.registry import job_kind
from portal.jobs.runner import JobFailed
from portal.models_base import utcnow
from portal.reference.models import Township
from portal.refusals import Refused
from portal.rosters.models import ImportJob

PARSE, IMPORT = "roster.parse", "roster.import"


def job_key(upload: ImportJob) -> str:
    return f"import_job:{upload.id}"


def _upload_of(job: Job) -> ImportJob:
    upload = db.session.get(ImportJob, job.args["import_job"])
    if upload is None:
        raise JobFailed("gone")
    return upload


def _import_dir() -> Path:
    return Path(current_app.config["IMPORT_DIR"])


def _failed(job: Job) -> None:
    """The upload of a failed check or import is failed too (its file is kept for a retry)."""
    upload = db.session.get(ImportJob, job.args.get("import_job"))
    if upload is not None and upload.status in ("parsing", "importing"):
        upload.status, upload.error, upload.finished_at = "failed", _reason(job), utcnow()


def _reason(job: Job) -> str:
    """The upload's error code (portal/imports/messages.py FILE_ERRORS) for a failed job."""
    return {"conflict": "conflict", "gone": "expired"}.get(job.error, "failed")


def _again(status: str):
    def before_retry(job: Job) -> None:
        upload = _upload_of(job)
        if upload.status != "failed" or not job_path(_import_dir(), upload).is_file():
            raise Refused("import_not_retryable")
        upload.status, upload.error, upload.finished_at = status, "", None
    return before_retry


@job_kind(PARSE, on_failure=_failed, before_retry=_again("parsing"))
def parse_upload(job: Job, progress) -> dict:
    """Read and check the file; record the preview's counts and rejected rows."""
    upload = _upload_of(job)
    if upload.status != "parsing":
        return {"status": upload.status}
    if not job_path(_import_dir(), upload).is_file():
        raise JobFailed("gone")
    township = db.session.get(Township, upload.township_id)
    preview_job(upload, township, _import_dir(), current_app.config["ROSTER_MAX_ROWS"],
                progress=lambda done, total: progress("parsing", done, total))
    return {"status": upload.status, "rows": upload.total_rows}


@job_kind(IMPORT, on_failure=_failed, before_retry=_again("importing"))
def import_upload(job: Job, progress) -> dict:
    """Import the confirmed file's valid rows, all or nothing, and close the upload."""
    upload = _upload_of(job)
    if upload.status != "importing":
        raise JobFailed("gone")
    if not job_path(_import_dir(), upload).is_file():
        raise JobFailed("gone")
    township = db.session.get(Township, upload.township_id)
    actor = db.session.get(User, upload.uploaded_by_id)
    result = run_job(upload, township, actor, _import_dir(),
                     current_app.config["ROSTER_MAX_ROWS"], progress=progress)
    import_dir = _import_dir()
    uow.after_commit(lambda: remove_upload(import_dir, upload))
    return {"imported": result.imported, "updated": result.updated,
            "rejected": result.rejected}


def start_parse(upload: ImportJob, actor) -> Job:
    from portal.jobs.services import enqueue

    return enqueue(PARSE, {"import_job": upload.id}, key=job_key(upload),
                   township_id=upload.township_id, actor=actor)


def start_import(upload: ImportJob, actor) -> Job | None:
    """Queue the import of a previewed upload; None when it is no longer ready (confirmed
    twice, cancelled, expired)."""
    from portal.jobs.services import enqueue

    taken = db.session.execute(
        update(ImportJob).where(ImportJob.id == upload.id, ImportJob.status == "ready")
        .values(status="importing").execution_options(synchronize_session=False)).rowcount
    if not taken:
        return None
    db.session.refresh(upload)
    return enqueue(IMPORT, {"import_job": upload.id}, key=job_key(upload),
                   township_id=upload.township_id, actor=actor)


def latest_job(upload: ImportJob) -> Job | None:
    from portal.jobs.services import latest

    return latest(job_key(upload), (PARSE, IMPORT))
