"""Running one job: claim it, do its work in one unit of work, record how it ended.

1. **Claim** (its own short transaction): queued → running, `attempts` + 1, the runner's
   name and a first heartbeat. A job that is not queued (done, failed, or taken by another
   worker) is left alone, so a job handed out twice runs once.
2. **Work** in `with unit_of_work():` (portal/uow.py). The kind's rows and the job's `done`
   state are committed together, or not at all: a worker killed in the middle leaves nothing
   of the run behind, and the job "running" with a heartbeat that stops. The finishing update
   names the attempt it claimed, so a run that was given up (the reaper failed it, a retry
   started) and wakes up later rolls its work back instead of writing it twice.
3. **Heartbeat** (in a worker): a thread writes the progress the work reports and the time,
   every JOBS_HEARTBEAT_SECONDS, on a connection of its own, so that every web worker sees
   them while the work's transaction is still open. The reaper (services.reap) fails a running
   job whose heartbeat is older than JOBS_STALE_SECONDS; it can then be retried.

SQLite has one writer at a time: while a job writes, the heartbeat waits for it (the busy
timeout) and the progress shown stops moving until the job's transaction ends; keep
JOBS_STALE_SECONDS well above the longest write (PostgreSQL has no such wait).
"""
from __future__ import annotations

import os
import socket
import threading

from flask import current_app, g
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_event
from portal.errors import is_database_unavailable
from portal.extensions import db
from portal.jobs.models import DONE, FAILED, QUEUED, RUNNING, Job
from portal.jobs.registry import kind_of
from portal.models_base import utcnow
from portal.uow import unit_of_work


class JobFailed(Exception):
    """A job's work ends with a known reason (`code`, see portal/jobs/words.py)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


class RunLost(Exception):
    """The run was given up while it worked (the job is no longer this run's)."""


def runner_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


class Beat:
    """The progress a job reports, written with its heartbeat by a thread of its own."""

    def __init__(self, job_id: int, attempt: int, interval: float | None):
        self.job_id = job_id
        self.attempt = attempt
        self.interval = interval
        self.values = {"phase": "", "done": 0, "total": 0}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine = db.engine if interval else None

    def __call__(self, phase: str, done: int, total: int) -> None:
        self.values = {"phase": phase[:20], "done": int(done), "total": int(total)}

    def start(self) -> None:
        if self.interval:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name=f"job-{self.job_id}-heartbeat")
            self._thread.start()

    def stop(self) -> None:
        """Stop beating. Never waits for the thread: on SQLite a beat may be waiting for the
        very transaction that stops it; that beat then finds the run over and changes nothing."""
        self._stop.set()

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.write()
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                current_app.logger.debug("job %s: heartbeat not written", self.job_id)

    def write(self) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                update(Job).where(Job.id == self.job_id, Job.attempts == self.attempt,
                                  Job.state == RUNNING)
                .values(heartbeat_at=utcnow(), **self.values))


def claim(job_id: int, early: bool = False) -> tuple[str, int] | None:
    """Take a queued job for this run: (its kind, this attempt's number), or None. A job
    waiting to run later (`run_after`) is not taken before its time unless `early`."""
    with unit_of_work():
        now = utcnow()
        job = db.session.get(Job, job_id)
        if job is None or job.state != QUEUED:
            return None
        if not early and job.run_after is not None and _aware(job.run_after) > now:
            return None  # not yet: it is handed out again when due
        taken = db.session.execute(
            update(Job).where(Job.id == job_id, Job.state == QUEUED,
                              Job.attempts == job.attempts)
            .values(state=RUNNING, attempts=Job.attempts + 1, started_at=now,
                    heartbeat_at=now, runner=runner_name(), phase="", done=0, total=0,
                    error="")
            .execution_options(synchronize_session=False)).rowcount
        if not taken:
            return None
        return job.kind, job.attempts + 1


def _aware(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _finish(job_id: int, attempt: int, beat: Beat, result: dict | None) -> None:
    values = beat.values
    total = values["total"] or values["done"]
    finished = db.session.execute(
        update(Job).where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
        .values(state=DONE, finished_at=utcnow(), heartbeat_at=utcnow(), result=result or {},
                phase=values["phase"], done=total, total=total)
        .execution_options(synchronize_session=False)).rowcount
    if not finished:
        raise RunLost(job_id)


def error_code(exc: BaseException) -> str:
    if isinstance(exc, JobFailed):
        return exc.code
    if isinstance(exc, RunLost):
        return "lost"
    if isinstance(exc, IntegrityError):
        return "conflict"
    if is_database_unavailable(exc):
        return "database"
    return "failed"


def _record_failure(job_id: int, attempt: int, code: str) -> None:
    """Fail this run's job (if it is still this run's) and let its kind react."""
    with unit_of_work():
        failed = db.session.execute(
            update(Job).where(Job.id == job_id, Job.state == RUNNING, Job.attempts == attempt)
            .values(state=FAILED, error=code, finished_at=utcnow())
            .execution_options(synchronize_session=False)).rowcount
        if not failed:
            return
        job = db.session.get(Job, job_id)
        db.session.refresh(job)
        kind = kind_of(job.kind)
        if kind.on_failure is not None:
            kind.on_failure(job)
        record_event("job.failed", township_id=job.township_id, obj=job,
                     details={"kind": job.kind, "error": code, "attempts": attempt})


def run(job_id: int, heartbeat_seconds: float | None = None, early: bool = False
        ) -> str | None:
    """Run job `job_id` if it is queued; returns the state it ended in (None: not run)."""
    # On SQLite each of the run's transactions takes the write lock when it begins: one that
    # read first could not write after a heartbeat (portal/__init__.py, _request_may_write).
    before, g.writes_first = g.get("writes_first"), True
    try:
        return _run(job_id, heartbeat_seconds, early)
    finally:
        g.writes_first = before


def _run(job_id: int, heartbeat_seconds: float | None, early: bool) -> str | None:
    claimed = claim(job_id, early)
    if claimed is None:
        return None
    kind_name, attempt = claimed
    beat = Beat(job_id, attempt, heartbeat_seconds)
    beat.start()
    try:
        with unit_of_work():
            job = db.session.get(Job, job_id)
            result = kind_of(kind_name).run(job, beat)
            beat.stop()
            _finish(job_id, attempt, beat, result)
    except Exception as exc:
        beat.stop()
        code = error_code(exc)
        if isinstance(exc, JobFailed | RunLost):
            current_app.logger.warning("job %s (%s) stopped: %s", job_id, kind_name, code)
        else:  # the statement's values are never in the text (hide_parameters)
            current_app.logger.exception("job %s (%s) failed: %s", job_id, kind_name, code)
        try:
            _record_failure(job_id, attempt, code)
        except Exception:
            current_app.logger.exception("job %s: its failure could not be recorded", job_id)
        return FAILED
    finally:
        beat.join()
    return DONE
