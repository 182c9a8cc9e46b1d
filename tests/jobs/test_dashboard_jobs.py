"""The dashboards' figures refreshed by a job (portal/dashboards/refresh_jobs.py): a change to
counted rows queues one debounced refresh, the upkeep queues one when figures are due, and a
dashboard page only reads."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.dashboards import refresh_jobs
from portal.dashboards.models import DashboardFigure, DashboardRefresh
from portal.extensions import db
from portal.jobs import backends
from portal.jobs.models import Job
from portal.uow import unit_of_work


@pytest.fixture
def in_jobs(app, monkeypatch):
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_IN_JOBS", True)


@pytest.fixture
def no_worker(monkeypatch):
    """Jobs are queued but nobody runs them."""
    monkeypatch.setattr(backends, "dispatch", lambda app, job_id: None)


def _refresh_jobs(state: str | None = None) -> list[Job]:
    stmt = select(Job).where(Job.kind == refresh_jobs.KIND)
    if state:
        stmt = stmt.where(Job.state == state)
    return list(db.session.scalars(stmt))


def _persons_figure(township_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(DashboardFigure.value), 0)).where(
        DashboardFigure.township_id == township_id, DashboardFigure.family == "persons",
        DashboardFigure.key == "persons"))


def test_a_change_queues_one_refresh_for_a_burst_of_changes(app, db_session, in_jobs,
                                                            no_worker, make_township,
                                                            make_person):
    township = make_township()
    for n in range(3):
        with unit_of_work():
            make_person(township, village=township.villages[0], name=f"张{n}")
    waiting = _refresh_jobs("queued")
    assert len(waiting) == 1  # debounced: the later changes join the waiting refresh
    assert waiting[0].run_after is not None


def test_the_refresh_job_counts_what_changed(app, db_session, in_jobs, make_township,
                                             make_person):
    township = make_township()
    with unit_of_work():
        make_person(township, village=township.villages[0])
        make_person(township, village=township.villages[1])
    job = _refresh_jobs()[-1]
    db_session.refresh(job)
    assert job.state == "done" and job.result["townships"] >= 1  # inline: ran at once
    state = db.session.scalars(select(DashboardRefresh).where(
        DashboardRefresh.township_id == township.id)).one()
    assert not state.stale
    assert _persons_figure(township.id) == 2


def test_a_dashboard_page_only_reads(app, db_session, in_jobs, no_worker, client, login_as,
                                     make_township, make_person, make_user):
    township = make_township()
    make_person(township, village=township.villages[0])
    before = db.session.scalar(select(func.count()).select_from(DashboardRefresh))
    login_as(make_user("supervisor"))
    assert client.get("/city/dashboard/").status_code == 200
    assert db.session.scalar(select(func.count()).select_from(DashboardRefresh)) == before
    assert _refresh_jobs("queued")  # asked for, computed by a worker


def test_the_upkeep_queues_a_refresh_when_figures_are_due(app, db_session, in_jobs,
                                                          no_worker, make_township):
    make_township()
    with unit_of_work():
        refresh_jobs.scheduled()
    queued = _refresh_jobs("queued")
    assert len(queued) == 1 and queued[0].run_after is None  # due now: no wait


def test_without_a_queue_pages_refresh_on_read(app, db_session, make_township, make_person,
                                                client, login_as, make_user):
    township = make_township()
    make_person(township, village=township.villages[0])
    login_as(make_user("supervisor"))
    assert client.get("/city/dashboard/").status_code == 200
    assert _persons_figure(township.id) == 1
    assert _refresh_jobs() == []
