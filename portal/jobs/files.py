"""Jobs that end in a file for the person who asked: exports of large lists, batches of PDFs.

A request that would write a large file queues a job instead (`enqueue_file_job`) and sends
the user to the job's page (`portal/jobs/views.py`): queued, running with a progress bar, then
a download button, or failed with the reason and "Try again". The web worker is free at once.

The kind's function writes the file with `write_file(job, ...)`: under IMPORT_DIR/job_files
(the disk that the web workers and the job workers share), written aside and renamed, readable
by the portal's user only, named by the job and a random token (never by a person). The
job's result keeps the file's name, the name to download it as, its rows, size and SHA-256; a
unit of work that rolls back removes the file it wrote (no orphaned file). A retried job
writes a new file. Files are removed `JOB_FILES_KEEP_HOURS` after the job ended (`prune`, in
the reaper's round), or with a new file of the same request.

Only the person who asked may download the file, while they still hold the kind's permission,
through the Job policy (portal/access.py); every download is audited (`job.file_downloaded`,
with the rows and whether they left in clear).
"""
from __future__ import annotations

import functools
import hashlib
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from flask import current_app
from flask_babel import force_locale

from portal import uow
from portal.auth.roles import Permission
from portal.jobs.registry import job_kind

FILE_DIR = "job_files"


@dataclass(frozen=True)
class FileKind:
    name: str
    permission: Permission
    title: object  # what the file is, a lazy string (`lazy_gettext`), shown in the page's language


FILE_KINDS: dict[str, FileKind] = {}


def file_job_kind(name: str, permission: Permission, title: str, **options):
    """Register a job kind whose result is a file (see `job_kind` for the options). The kind
    runs in the language of the person who asked (`args["locale"]`)."""

    def register(fn):
        @functools.wraps(fn)
        def run(job, progress):
            with force_locale(job.args.get("locale")
                              or current_app.config["BABEL_DEFAULT_LOCALE"]):
                return fn(job, progress)

        FILE_KINDS[name] = FileKind(name, permission, title)
        job_kind(name, **options)(run)
        return fn

    return register


def directory() -> Path:
    path = Path(current_app.config["IMPORT_DIR"]) / FILE_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def path_of(job) -> Path | None:
    """The job's file, if it has one and it is still there."""
    name = (job.result or {}).get("file")
    if not name or "/" in name or name.startswith("."):
        return None
    path = directory() / name
    return path if path.is_file() else None


def write_file(job, suffix: str, download_name: str,
               write: Callable[[IO[bytes]], int], **result) -> dict:
    """Write the job's file with `write(stream) -> rows`; returns the job's result.

    Inside the job's unit of work: if it rolls back, the file is removed."""
    folder = directory()
    name = f"{job.id}-{secrets.token_hex(12)}{suffix}"
    aside = folder / f".{name}.part"
    descriptor = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as out:
            rows = write(out)
        os.replace(aside, folder / name)
    except BaseException:
        aside.unlink(missing_ok=True)
        raise
    target = folder / name
    uow.after_rollback(lambda: target.unlink(missing_ok=True))
    digest = hashlib.sha256()
    with open(target, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"file": name, "filename": download_name, "rows": rows,
            "bytes": target.stat().st_size, "sha256": digest.hexdigest(), **result}


def prune(keep_hours: float | None = None) -> int:
    """Remove the files of jobs that ended more than `keep_hours` ago (and half-written ones
    a killed worker left); returns how many were removed."""
    hours = current_app.config["JOB_FILES_KEEP_HOURS"] if keep_hours is None else keep_hours
    limit = time.time() - hours * 3600
    removed = 0
    for path in directory().iterdir():
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except OSError:
            pass
    return removed
