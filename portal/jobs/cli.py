"""`flask --app wsgi jobs worker|reap|retry|list`: the job worker and the operator's tools."""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from portal.extensions import db
from portal.jobs.models import STATES, Job
from portal.uow import unit_of_work

jobs_cli = AppGroup("jobs", help="Background jobs: the worker, the reaper, retries.")


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="stop once the queue is empty")
@click.option("--simple", is_flag=True,
              help="run each job in the worker process itself instead of a forked one")
@click.option("--with-scheduler/--without-scheduler", default=True, show_default=True,
              help="also run RQ's scheduler (jobs queued to run later, e.g. debounced)")
def worker_command(burst, simple, with_scheduler):
    """Run jobs from the Redis queue (JOBS_QUEUE at REDIS_URL) until stopped."""
    from portal.jobs.backends import redis_connection, rq_queue
    from portal.jobs.worker import PortalWorker, SimplePortalWorker, use_app

    app = current_app._get_current_object()
    use_app(app)
    connection = redis_connection(app)
    every = int(app.config["JOBS_MAINTENANCE_SECONDS"])
    worker_class = SimplePortalWorker if simple else PortalWorker
    # RQ waits for a job up to worker_ttl - 15 s before its upkeep comes round again.
    worker = worker_class([rq_queue(app, connection)], connection=connection,
                          maintenance_interval=every, worker_ttl=max(every + 15, 20))
    db.session.remove()
    db.engine.dispose()  # the work horses must not share the command's connections
    worker.work(burst=burst, with_scheduler=with_scheduler,
                logging_level=app.config.get("JOBS_LOG_LEVEL", "INFO"))


@jobs_cli.command("reap")
def reap_command():
    """Mark failed the running jobs whose heartbeat stopped (a worker died), and remove the
    files of jobs that ended more than JOB_FILES_KEEP_HOURS ago."""
    from portal.jobs import files
    from portal.jobs.services import reap

    with unit_of_work():
        count = reap()
    click.echo(f"reaped={count} files_removed={files.prune()}")


@jobs_cli.command("retry")
@click.argument("job_id", type=int)
def retry_command(job_id):
    """Queue a failed job again (its area's own records are put back first)."""
    from portal.jobs.services import retry
    from portal.refusals import Refused

    with unit_of_work():
        job = db.session.get(Job, job_id)
        if job is None:
            raise click.BadParameter(f"no job {job_id}", param_hint="JOB_ID")
        try:
            retry(job)
        except Refused as refusal:
            raise click.ClickException(refusal.message) from None
    click.echo(f"job {job_id} queued again")


@jobs_cli.command("list")
@click.option("--state", type=click.Choice(STATES), default=None)
@click.option("-n", "limit", default=20, show_default=True)
def list_command(state, limit):
    """The latest jobs: id, kind, state, progress, attempts, runner, error."""
    stmt = select(Job).order_by(Job.id.desc()).limit(limit)
    if state:
        stmt = stmt.where(Job.state == state)
    for job in db.session.scalars(stmt):
        click.echo(f"{job.id}\t{job.kind}\t{job.state}\t{job.done}/{job.total}\t"
                   f"attempts={job.attempts}\t{job.runner}\t{job.error}")
