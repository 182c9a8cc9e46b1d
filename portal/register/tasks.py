"""The import of the national database's export as a background job (portal/jobs).

The confirmed file is read, planned and written in the job runner's unit of work: all of it
with the job's "done", or nothing (a worker killed in the middle leaves no entry; the job is
then failed by the reaper and may be retried, from the same stored file, which is deleted
only once an import has committed). Entries are matched by person, so a second import of the
same file updates them instead of adding new ones.
"""
from __future__ import annotations

from pathlib import Path

from flask import current_app

from portal import uow
from portal.auth.models import User
from portal.extensions import db
from portal.imports.reader import WorkbookError
from portal.jobs.models import Job
from portal.jobs.registry import job_kind
from portal.jobs.runner import JobFailed
from portal.reference.models import Township
from portal.refusals import Refused
from portal.register.importer import apply_plan, plan_holders, read_holders

KIND = "holders.import"
COUNTED = ("new", "updated", "unchanged", "kept", "new_persons", "matched_persons", "rejected")


def stored_path(job: Job) -> Path:
    return Path(current_app.config["IMPORT_DIR"]) / job.args["stored"]


def _file_still_there(job: Job) -> None:
    if not stored_path(job).is_file():
        raise Refused("import_not_retryable")


@job_kind(KIND, before_retry=_file_still_there)
def import_holders_file(job: Job, progress) -> dict:
    """Read, check and write the confirmed file's holders (all or nothing)."""
    path = stored_path(job)
    if not path.is_file():
        raise JobFailed("gone")
    township_id = job.args.get("township_id")
    township = db.session.get(Township, township_id) if township_id else None
    actor = db.session.get(User, job.created_by_id) if job.created_by_id else None
    progress("parsing", 0, 3)
    try:
        parsed = read_holders(path, max_rows=current_app.config["ROSTER_MAX_ROWS"])
    except WorkbookError:
        raise JobFailed("failed") from None
    progress("planning", 1, 3)
    plan = plan_holders(parsed, township)
    progress("writing", 2, 3)
    counts = apply_plan(plan, actor, job.args.get("filename", ""))
    progress("writing", 3, 3)
    uow.after_commit(lambda: path.unlink(missing_ok=True))
    return {key: int(counts[key]) for key in COUNTED}


def start_import(stored: str, filename: str, township: Township | None, actor) -> Job:
    from portal.jobs.services import enqueue

    return enqueue(KIND, {"stored": stored, "filename": filename,
                          "township_id": township.id if township else None},
                   key=f"holders:{stored}", township_id=township.id if township else None,
                   actor=actor)
