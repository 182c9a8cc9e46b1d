"""The RQ side: the function a worker performs, and the worker class with the portal's upkeep.

`flask --app wsgi jobs worker` makes the app, then an RQ worker on JOBS_QUEUE. For each job
the worker forks a work horse (RQ's default), which runs `perform(job_id)` in the app's
context with a connection pool of its own. Besides RQ's own upkeep, every
JOBS_MAINTENANCE_SECONDS while idle the worker runs the portal's (`maintain`): the reaper of
dead runs, the queued jobs Redis lost, and what the areas scheduled (`SCHEDULED`).
"""
from __future__ import annotations

import os
from collections.abc import Callable

from flask import Flask, g
from rq import SimpleWorker, Worker

from portal.extensions import db

_APP: Flask | None = None
_APP_PID: int | None = None
# Work an area wants done at every upkeep (e.g. queue the figures' refresh when due), each
# called inside the app context and the upkeep's unit of work.
SCHEDULED: list[Callable[[], None]] = []


def use_app(app: Flask) -> None:
    """The app the worker's jobs run in (set by the worker command)."""
    global _APP, _APP_PID
    _APP, _APP_PID = app, os.getpid()


def _app() -> Flask:
    if _APP is None:  # started by `rq worker` rather than the portal's command
        from portal import create_app

        use_app(create_app())
    return _APP


def perform(job_id: int) -> str | None:
    """What RQ runs: the portal job `job_id` (see portal/jobs/runner.py)."""
    from portal.jobs.runner import run

    app = _app()
    with app.app_context():
        if os.getpid() != _APP_PID:
            # A forked work horse: the parent's pooled connections stay the parent's.
            db.engine.dispose(close=False)
        try:
            return run(job_id, heartbeat_seconds=app.config["JOBS_HEARTBEAT_SECONDS"])
        finally:
            db.session.remove()


def maintain(app: Flask) -> dict[str, int]:
    """The portal's upkeep: reap dead runs, hand out lost jobs, run the schedule."""
    from portal.jobs import files
    from portal.jobs.backends import redispatch
    from portal.jobs.services import reap
    from portal.uow import unit_of_work

    counts = {}
    with app.app_context():
        g.writes_first = True  # SQLite: see portal/jobs/runner.py
        try:
            with unit_of_work():
                counts["reaped"] = reap()
            counts["files_removed"] = files.prune()
            for task in SCHEDULED:
                with unit_of_work():
                    task()
            if app.config["JOBS_BACKEND"] == "rq":
                counts["redispatched"] = redispatch(app)
        except Exception:
            app.logger.exception("jobs: upkeep failed")
        finally:
            db.session.remove()
    return counts


class _Upkeep:
    def run_maintenance_tasks(self):
        super().run_maintenance_tasks()
        maintain(_app())


class PortalWorker(_Upkeep, Worker):
    """RQ's forking worker, with the portal's upkeep."""


class SimplePortalWorker(_Upkeep, SimpleWorker):
    """Runs jobs in the worker process itself (no fork): for a debugger, or where fork is
    unavailable. A job killed with it is the worker killed."""
