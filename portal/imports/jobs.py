"""Running an upload job's parse and import, in a background thread or inline.

Progress lives in a small in-process registry keyed by the job's random token; the page
polls it through a JSON endpoint. The job row in the database holds status and counts.
"""
from __future__ import annotations

import threading
import time

from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import User
from portal.extensions import db
from portal.imports import services
from portal.models_base import utcnow
from portal.reference.models import Township
from portal.rosters.models import ImportJob

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


def start(app: Flask, token: str, phase: str) -> None:
    """Run the job's `phase` ("parse" or "import"): in a thread when configured, else now."""
    if app.config.get("IMPORT_IN_BACKGROUND"):
        worker = threading.Thread(target=_in_own_context, args=(app, token, phase), daemon=True,
                                  name=f"import-{phase}")
        worker.start()
    else:
        work(token, phase)


def _in_own_context(app: Flask, token: str, phase: str) -> None:
    with app.app_context():
        try:
            work(token, phase)
        finally:
            db.session.remove()


def work(token: str, phase: str) -> None:
    """Do one phase of a job and commit its outcome; on failure roll back and record why."""
    config = current_app.config
    import_dir = config["IMPORT_DIR"]
    max_rows = config["ROSTER_MAX_ROWS"]
    job = db.session.execute(select(ImportJob).where(ImportJob.token == token)).scalar_one()
    township = db.session.get(Township, job.township_id)
    set_progress(token, phase, 0, 0)
    try:
        if phase == "parse":
            services.preview_job(job, township, import_dir, max_rows,
                                 progress=lambda d, t: set_progress(token, "parsing", d, t))
        else:
            actor = db.session.get(User, job.uploaded_by_id)
            services.run_job(job, township, actor, import_dir, max_rows,
                             progress=lambda p, d, t: set_progress(token, p, d, t))
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        code = "conflict" if isinstance(exc, IntegrityError) else "failed"
        current_app.logger.exception("roster import job %s failed in %s", job_id_of(token),
                                     phase)
        job = db.session.execute(select(ImportJob).where(ImportJob.token == token)).scalar_one()
        job.status = "failed"
        job.error = code
        job.finished_at = utcnow()
        db.session.commit()
        services.remove_upload(import_dir, job)
        return
    finally:
        set_progress(token, "finished", 1, 1)
    if phase == "import":
        services.remove_upload(import_dir, job)


def job_id_of(token: str) -> int | None:
    """The job's numeric id for logs (the token is a credential-like secret of the URL)."""
    return db.session.execute(
        select(ImportJob.id).where(ImportJob.token == token)
    ).scalar_one_or_none()
