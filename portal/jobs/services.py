"""Putting jobs on the queue, retrying a failed one, and the reaper of dead runs.

Everything here changes the session and never commits: a view's or command's unit of work
commits the job row together with whatever asked for it, and only then is the job handed to
the backend (`uow.after_commit`), so that a worker never looks for a row not yet written.
"""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select, update

from portal import uow
from portal.audit.services import record_event
from portal.extensions import db
from portal.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from portal.jobs.registry import kind_of
from portal.models_base import utcnow
from portal.refusals import Refused


def enqueue(kind: str, args: dict | None = None, *, key: str = "", township_id: int | None = None,
            actor=None, delay_seconds: float = 0) -> Job:
    """A new job of `kind`, run once the caller's unit of work has committed."""
    kind_of(kind)  # a kind nobody registered is a programming error, found here
    job = Job(kind=kind, args=dict(args or {}), key=key, township_id=township_id,
              created_by_id=getattr(actor, "id", None), state=QUEUED,
              run_after=utcnow() + timedelta(seconds=delay_seconds) if delay_seconds else None)
    db.session.add(job)
    db.session.flush()
    _dispatch_after_commit(job.id)
    return job


def _dispatch_after_commit(job_id: int) -> None:
    from portal.jobs.backends import dispatch

    app = current_app._get_current_object()
    uow.after_commit(lambda: dispatch(app, job_id))


def latest(key: str, kinds: tuple[str, ...] | None = None) -> Job | None:
    """The newest job about `key` (of one of `kinds`), with a dead run marked failed."""
    stmt = select(Job).where(Job.key == key)
    if kinds:
        stmt = stmt.where(Job.kind.in_(kinds))
    job = db.session.scalars(stmt.order_by(Job.id.desc()).limit(1)).first()
    if job is not None:
        reap_if_dead(job)
    return job


def pending(kind: str, key: str) -> Job | None:
    """A job of `kind` about `key` that has not started yet (a debounced job joins it)."""
    return db.session.scalars(select(Job).where(Job.kind == kind, Job.key == key,
                                                Job.state == QUEUED)
                              .order_by(Job.id.desc()).limit(1)).first()


def retry(job: Job, actor=None) -> Job:
    """Queue a failed job again; its kind first puts its own records back (`before_retry`)."""
    if job.state != FAILED:
        raise Refused("job_not_failed")
    kind = kind_of(job.kind)
    if kind.before_retry is not None:
        kind.before_retry(job)
    job.state = QUEUED
    job.error = ""
    job.phase = ""
    job.done = job.total = 0
    job.finished_at = None
    job.result = None
    db.session.flush()
    record_event("job.retried", actor=actor, township_id=job.township_id, obj=job,
                 details={"kind": job.kind, "attempts": job.attempts})
    _dispatch_after_commit(job.id)
    return job


def stale_before():
    return utcnow() - timedelta(seconds=current_app.config["JOBS_STALE_SECONDS"])


def _mark_lost(job: Job) -> bool:
    """Fail a running job whose heartbeat stopped (its worker died); False if it beat since."""
    changed = db.session.execute(
        update(Job).where(Job.id == job.id, Job.state == RUNNING,
                          Job.attempts == job.attempts, Job.heartbeat_at < stale_before())
        .values(state=FAILED, error="lost", finished_at=utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not changed:
        return False
    db.session.refresh(job)
    kind = kind_of(job.kind)
    if kind.on_failure is not None:
        kind.on_failure(job)
    record_event("job.lost", township_id=job.township_id, obj=job,
                 details={"kind": job.kind, "attempts": job.attempts, "runner": job.runner})
    return True


def reap_if_dead(job: Job) -> bool:
    """Mark `job` failed when it is running without a heartbeat for JOBS_STALE_SECONDS."""
    if job.state != RUNNING or job.heartbeat_at is None:
        return False
    beat = job.heartbeat_at if job.heartbeat_at.tzinfo else job.heartbeat_at.replace(
        tzinfo=utcnow().tzinfo)
    if beat >= stale_before():
        return False
    return _mark_lost(job)


def reap() -> int:
    """Mark failed every running job whose heartbeat is older than JOBS_STALE_SECONDS."""
    lost = db.session.scalars(select(Job).where(Job.state == RUNNING,
                                                Job.heartbeat_at < stale_before())).all()
    return sum(1 for job in lost if _mark_lost(job))


def status(job: Job) -> dict:
    """What a progress bar shows (JSON): no arguments, no result details."""
    from portal.jobs.words import error_text, phase_text, state_text

    return {"id": job.id, "state": job.state, "state_text": state_text(job.state),
            "phase": job.phase, "phase_text": phase_text(job.phase), "done": job.done,
            "total": job.total, "percent": job.percent, "attempts": job.attempts,
            "active": job.state in (QUEUED, RUNNING), "finished": job.state == DONE,
            "error": job.error, "error_text": error_text(job.error) if job.error else ""}
