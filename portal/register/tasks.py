"""The check (the preview) and the import of the national database's export as background
jobs (portal/jobs).

`holders.check` reads and plans the uploaded file without writing anything to the register:
its counts go into the job's result (counts and township ids only), the refused rows (with the
row's cells, for the rejects download) and the skipped rows into a file next to the upload
(`<upload>.check.json` under IMPORT_DIR), which every web worker reads and which goes with the
upload. A file that cannot be read at all ends the check with a refusal in the result (its
code and the message's values) and the upload is deleted.

`holders.import`: the confirmed file is read, planned and written in the job runner's unit of
work: all of it with the job's "done", or nothing (a worker killed in the middle leaves no
entry; the job is then failed by the reaper and may be retried, from the same stored file,
which is deleted with its report only once an import has committed). Entries are matched by
person, so a second import of the same file updates them instead of adding new ones.
"""
from __future__ import annotations

import json
import os
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
from portal.register.importer import HolderPlan, apply_plan, plan_holders, read_holders

KIND = "holders.import"
CHECK = "holders.check"
COUNTED = ("new", "updated", "unchanged", "kept", "new_persons", "matched_persons", "rejected")


def upload_path(stored: str) -> Path:
    return Path(current_app.config["IMPORT_DIR"]) / stored


def stored_path(job: Job) -> Path:
    return upload_path(job.args["stored"])


def report_path(stored: str) -> Path:
    """The check's refused and skipped rows, next to the upload (personal data: the cells)."""
    return upload_path(stored).with_suffix(".check.json")


def remove_upload(stored: str) -> None:
    """Delete an upload and its check's report (each may be gone already)."""
    upload_path(stored).unlink(missing_ok=True)
    report_path(stored).unlink(missing_ok=True)


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
    stored = job.args["stored"]
    uow.after_commit(lambda: remove_upload(stored))
    return {key: int(counts[key]) for key in COUNTED}


def _write_report(path: Path, plan: HolderPlan) -> None:
    """Write the report whole or not at all (a reader never sees half of it)."""
    report = {"headers": list(plan.headers), "notes": [list(note) for note in plan.notes],
              "rejects": [[r.row, r.column, r.code, r.params, list(r.values)]
                          for r in plan.rejects]}
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)


def read_report(stored: str) -> dict | None:
    """The check's report of an upload, or None when it is not there (discarded, expired)."""
    try:
        return json.loads(report_path(stored).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


@job_kind(CHECK, before_retry=_file_still_there)
def check_holders_file(job: Job, progress) -> dict:
    """Read and plan the uploaded file (a dry run): the preview's counts in the result, its
    refused rows in the report next to the upload."""
    stored = job.args["stored"]
    path = upload_path(stored)
    if not path.is_file():
        raise JobFailed("gone")
    township_id = job.args.get("township_id")
    township = db.session.get(Township, township_id) if township_id else None
    progress("parsing", 0, 0)
    try:
        parsed = read_holders(path, max_rows=current_app.config["ROSTER_MAX_ROWS"],
                              progress=lambda done, total: progress("parsing", done, total))
    except WorkbookError as exc:
        # Nothing to retry: the file is refused as it is, and deleted once that is recorded.
        uow.after_commit(lambda: remove_upload(stored))
        return {"refused": exc.code, "params": dict(exc.params)}
    progress("planning", 0, len(parsed.records))
    plan = plan_holders(parsed, township)
    progress("planning", len(parsed.records), len(parsed.records))
    report = report_path(stored)
    _write_report(report, plan)
    uow.after_rollback(lambda: report.unlink(missing_ok=True))
    if not path.is_file():  # discarded while it was being checked: leave nothing behind
        report.unlink(missing_ok=True)
        raise JobFailed("gone")
    counts = plan.counts
    result = {key: int(counts[key]) for key in COUNTED}
    result.update(total=plan.total, rows=len(plan.rows))
    if township is None:
        result["townships"] = [[t.id, n] for t, n in plan.per_township()]
    return result


def start_check(stored: str, township: Township | None, actor) -> Job:
    from portal.jobs.services import enqueue

    return enqueue(CHECK, {"stored": stored, "township_id": township.id if township else None},
                   key=f"holders:{stored}", township_id=township.id if township else None,
                   actor=actor)


def start_import(stored: str, filename: str, township: Township | None, actor) -> Job:
    from portal.jobs.services import enqueue

    return enqueue(KIND, {"stored": stored, "filename": filename,
                          "township_id": township.id if township else None},
                   key=f"holders:{stored}", township_id=township.id if township else None,
                   actor=actor)
