"""Where a queued job runs: right away in this process (`inline`), or on RQ workers (`rq`).

JOBS_BACKEND=inline (the default) runs a job as soon as the unit of work that queued it has
committed, in the same process: development and tests need no Redis, and a page that queued
a job finds it finished. JOBS_BACKEND=rq puts the job's id on the Redis queue JOBS_QUEUE at
REDIS_URL for `flask --app wsgi jobs worker`. Redis carries only the id: the job's row in the
database is the truth. When Redis cannot be reached the row stays queued and a worker's
maintenance hands it out again (`redispatch`).
"""
from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.models import QUEUED, Job
from portal.models_base import utcnow

PERFORM = "portal.jobs.worker.perform"
ENDED = ("finished", "failed", "stopped", "canceled")


def redis_connection(app: Flask | None = None):
    from redis import Redis

    app = app or current_app
    return Redis.from_url(app.config["REDIS_URL"])


def rq_queue(app: Flask | None = None, connection=None):
    from rq import Queue

    app = app or current_app
    return Queue(app.config["JOBS_QUEUE"], connection=connection or redis_connection(app))


def rq_id(queue_name: str, job_id: int, attempt: int) -> str:
    """The RQ id of a job's next run: one per attempt, so a retry is a new RQ job; named by
    the queue too, so that two portals (or test runs) sharing a Redis never overwrite each
    other's jobs (job ids restart in each database)."""
    queue = re.sub(r"[^A-Za-z0-9_-]", "_", queue_name)
    return f"portal-job-{queue}-{job_id}-{attempt}"


def _put_on_queue(app: Flask, job: Job, queue=None) -> None:
    queue = queue or rq_queue(app)
    options = {"job_id": rq_id(queue.name, job.id, job.attempts + 1),
               "job_timeout": app.config["JOBS_TIMEOUT_SECONDS"],
               "result_ttl": 3600, "failure_ttl": 7 * 86400,
               "description": f"{job.kind} #{job.id}"}
    run_after = job.run_after
    if run_after is not None:
        if run_after.tzinfo is None:
            run_after = run_after.replace(tzinfo=utcnow().tzinfo)
        wait = (run_after - utcnow()).total_seconds()
        if wait > 0:
            queue.enqueue_in(timedelta(seconds=wait + 0.5), PERFORM, job.id, **options)
            return
    queue.enqueue(PERFORM, job.id, **options)


def dispatch(app: Flask, job_id: int) -> None:
    """Hand a committed, queued job to the configured backend."""
    backend = app.config["JOBS_BACKEND"]
    if backend == "inline":
        from portal.jobs.runner import run

        run(job_id, early=True)  # no one to wait for: a debounced job runs now
        return
    if backend != "rq":
        raise ValueError(f"JOBS_BACKEND must be 'inline' or 'rq', not {backend!r}")
    job = db.session.get(Job, job_id)
    if job is None or job.state != QUEUED:
        return
    try:
        _put_on_queue(app, job)
    except Exception:
        app.logger.exception("job %s could not be put on the queue; it waits", job_id)


def redispatch(app: Flask, older_than_seconds: float = 60) -> int:
    """Put on the queue again the queued jobs that RQ does not know (Redis was away when
    they were queued, or lost them); returns how many."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job as RQJob

    connection = redis_connection(app)
    queue = rq_queue(app, connection)
    cutoff = utcnow() - timedelta(seconds=older_than_seconds)
    waiting = db.session.scalars(select(Job).where(Job.state == QUEUED,
                                                   Job.created_at < cutoff)).all()
    count = 0
    for job in waiting:
        try:
            known = RQJob.fetch(rq_id(queue.name, job.id, job.attempts + 1),
                                connection=connection)
        except NoSuchJobError:
            known = None
        if known is not None and known.get_status() not in ENDED:
            continue  # waiting on the queue or in the scheduler, or running
        if known is not None:
            known.delete()  # it ended without taking the job (e.g. came before its time)
        _put_on_queue(app, job, queue)
        count += 1
    return count
