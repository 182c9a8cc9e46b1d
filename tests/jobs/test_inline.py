"""The job record and the inline runner (JOBS_BACKEND=inline, the default): a job queued in a
unit of work runs once it has committed; its outcome, progress and attempts are on its row; a
failure rolls its work back and can be retried; a run whose heartbeat stopped is failed by the
reaper, and a late finish of that run writes nothing."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.jobs import runner, services
from portal.jobs.models import Job
from portal.jobs.registry import job_kind
from portal.models_base import utcnow
from portal.reference.models import Township
from portal.refusals import Refused
from portal.uow import unit_of_work

SEEN: dict[str, list] = {"failed": [], "retried": []}


@job_kind("test.add_townships",
          on_failure=lambda job: SEEN["failed"].append(job.id),
          before_retry=lambda job: SEEN["retried"].append(job.id))
def add_townships(job, progress) -> dict:
    """Adds townships one by one, reporting progress; fails on request after writing."""
    codes = job.args["codes"]
    for n, code in enumerate(codes, 1):
        db.session.add(Township(code=code, name=f"乡{code}", kind="township", position=n))
        db.session.flush()
        progress("importing", n, len(codes))
    if job.args.get("fail_after_writing") and job.attempts == 1:
        raise RuntimeError("the work failed after writing")
    return {"added": len(codes)}


def _codes(prefix: str) -> int:
    return db.session.scalar(select(func.count()).select_from(Township)
                             .where(Township.code.like(f"{prefix}%")))


def test_a_queued_job_runs_once_its_unit_of_work_commits(app, db_session):
    with unit_of_work():
        job = services.enqueue("test.add_townships", {"codes": ["ja1", "ja2", "ja3"]},
                               key="probe:a")
        assert job.state == "queued" and _codes("ja") == 0  # not before the commit
    db_session.refresh(job)
    assert (job.state, job.attempts, job.result) == ("done", 1, {"added": 3})
    assert (job.phase, job.done, job.total, job.percent) == ("importing", 3, 3, 100)
    assert job.started_at is not None and job.finished_at is not None
    assert job.runner  # host:pid of the process that ran it
    assert _codes("ja") == 3
    assert services.latest("probe:a") == job


def test_a_job_rolled_back_with_its_request_never_runs(app, db_session):
    with pytest.raises(RuntimeError), unit_of_work():
        services.enqueue("test.add_townships", {"codes": ["jb1"]}, key="probe:b")
        raise RuntimeError("the request failed")
    assert services.latest("probe:b") is None and _codes("jb") == 0


def test_a_failed_job_keeps_nothing_and_runs_again_on_retry(app, db_session):
    SEEN["failed"].clear()
    with unit_of_work():
        job = services.enqueue("test.add_townships",
                               {"codes": ["jc1", "jc2"], "fail_after_writing": True},
                               key="probe:c")
    db_session.refresh(job)
    assert (job.state, job.error, job.attempts) == ("failed", "failed", 1)
    assert _codes("jc") == 0  # written, then rolled back with the run
    assert SEEN["failed"] == [job.id]
    assert db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "jobs", AuditEvent.object_id == job.id)).all() == [
        "job.failed"]
    assert services.status(job)["error_text"]  # words for the page, not the exception

    with unit_of_work():
        services.retry(job)
    db_session.refresh(job)
    assert (job.state, job.attempts, job.error) == ("done", 2, "")
    assert SEEN["retried"][-1] == job.id
    assert _codes("jc") == 2  # once, not twice


def test_only_a_failed_job_may_be_retried(app, db_session):
    with unit_of_work():
        job = services.enqueue("test.add_townships", {"codes": ["jd1"]}, key="probe:d")
    db_session.refresh(job)
    with pytest.raises(Refused) as refused:
        services.retry(job)
    assert refused.value.code == "job_not_failed"


def _claimed_and_abandoned(app, key: str, codes: list[str]) -> tuple[Job, int]:
    """A job taken by a run that then died: running, its heartbeat older than the timeout."""
    job = Job(kind="test.add_townships", args={"codes": codes}, key=key)
    db.session.add(job)
    db.session.flush()
    _kind, attempt = runner.claim(job.id)
    db.session.execute(update(Job).where(Job.id == job.id).values(
        heartbeat_at=utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 5)))
    db.session.refresh(job)
    return job, attempt


def test_the_reaper_fails_a_run_whose_heartbeat_stopped(app, db_session):
    SEEN["failed"].clear()
    job, attempt = _claimed_and_abandoned(app, "probe:e", ["je1"])
    fresh, _ = _claimed_and_abandoned(app, "probe:e2", ["je2"])
    db.session.execute(update(Job).where(Job.id == fresh.id).values(heartbeat_at=utcnow()))
    with unit_of_work():
        assert services.reap() == 1
    db_session.refresh(job)
    db_session.refresh(fresh)
    assert (job.state, job.error) == ("failed", "lost") and fresh.state == "running"
    assert SEEN["failed"] == [job.id]
    assert "job.lost" in db_session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == job.id, AuditEvent.object_type == "jobs")).all()

    # The run thought dead wakes up and tries to finish: it writes nothing.
    beat = runner.Beat(job.id, attempt, None)
    with pytest.raises(runner.RunLost), unit_of_work():
        add_townships(job, beat)
        runner._finish(job.id, attempt, beat, {"added": 1})
    assert _codes("je1") == 0
    db_session.refresh(job)
    assert job.state == "failed"

    with unit_of_work():
        services.retry(job)
    db_session.refresh(job)
    assert (job.state, job.attempts) == ("done", 2) and _codes("je1") == 1


def test_a_job_is_run_once_even_if_handed_out_twice(app, db_session):
    with unit_of_work():
        job = services.enqueue("test.add_townships", {"codes": ["jf1"]}, key="probe:f")
    assert runner.run(job.id) is None  # already done: a second delivery does nothing
    db_session.refresh(job)
    assert job.attempts == 1 and _codes("jf") == 1


def test_the_status_for_a_progress_bar(app, db_session):
    job = Job(kind="test.add_townships", args={}, key="probe:g", state="running",
              phase="importing", done=25, total=100, attempts=1)
    shown = services.status(job)
    assert (shown["percent"], shown["active"], shown["state"]) == (25, True, "running")
    assert shown["state_text"] and shown["phase_text"]
