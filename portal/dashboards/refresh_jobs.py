"""The dashboards' figures refreshed by a background job, so that a dashboard page only reads.

With jobs on a real queue (JOBS_BACKEND=rq, or DASHBOARD_REFRESH_IN_JOBS=1), a change to the
rows the figures count (the same changes that mark a township's figures stale, figures.py)
queues one `dashboards.refresh` job, DASHBOARD_REFRESH_DELAY_SECONDS later so that a burst of
changes (an import, a morning of case steps) is counted once: a refresh already waiting absorbs
the next ones. Each worker's upkeep also queues one when figures are missing, of another day or
older than DASHBOARD_MAX_AGE_SECONDS (the schedule). The job recomputes the townships that are
due, in small groups, reporting progress, then renders the city dashboard's tables of the new
summary for every web worker (fragments.py).

A dashboard page then reads what is there and says when it was computed; it computes nothing
itself, except when asked for exact figures (`max_age_seconds=0`, the campaign's closing
snapshot). With the inline backend (development, tests) the pages refresh on read as before.
"""
from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.auth.roles import Role
from portal.clock import local_today
from portal.dashboards.figures import _touched_townships, refresh_figures
from portal.dashboards.models import DashboardRefresh
from portal.extensions import db
from portal.jobs.registry import job_kind
from portal.jobs.worker import SCHEDULED
from portal.reference.models import Township
from portal.tenancy import Access

KIND, KEY = "dashboards.refresh", "dashboards"
GROUP = 4  # townships per grouped query


def in_jobs() -> bool:
    config = current_app.config
    setting = config.get("DASHBOARD_REFRESH_IN_JOBS")
    if setting is None:
        return config.get("JOBS_BACKEND") == "rq"
    return str(setting).lower() in ("1", "true", "yes", "on")


def _city() -> Access:
    return Access(user_id=0, township=None, roles={Role.SUPERVISOR})


def due_townships(today, max_age_seconds: int) -> list[int]:
    """Townships whose figures are missing, stale, of another day or older than the limit."""
    now = datetime.now(UTC)
    states = {r.township_id: r for r in db.session.scalars(select(DashboardRefresh))}
    due = []
    for tid in db.session.scalars(select(Township.id).order_by(Township.id)):
        state = states.get(tid)
        if state is None or state.stale or state.as_of != today:
            due.append(tid)
            continue
        computed = state.computed_at if state.computed_at.tzinfo else state.computed_at.replace(
            tzinfo=UTC)
        if (now - computed).total_seconds() >= max_age_seconds:
            due.append(tid)
    return due


def _max_age() -> int:
    return int(current_app.config.get("DASHBOARD_MAX_AGE_SECONDS", 300))


@job_kind(KIND)
def refresh_due(job, progress) -> dict:
    """Recompute the figures of every township that is due, a few townships at a time."""
    today = local_today()
    due = due_townships(today, _max_age())
    for start in range(0, len(due), GROUP):
        refresh_figures(_city(), due[start:start + GROUP], today)
        progress("counting", min(start + GROUP, len(due)), len(due))
    from portal.dashboards.views import prerender_city_tables

    try:
        tables = prerender_city_tables()
    except OSError:  # the shared disk: the web workers then render the tables themselves
        current_app.logger.warning("the dashboard tables could not be written", exc_info=True)
        tables = 0
    return {"townships": len(due), "tables": tables}


def request_refresh(delay_seconds: float | None = None):
    """Queue a refresh unless one is already waiting (it will count these changes too)."""
    from portal.jobs.services import enqueue, pending

    if pending(KIND, KEY) is not None:
        return None
    if delay_seconds is None:
        delay_seconds = float(current_app.config.get("DASHBOARD_REFRESH_DELAY_SECONDS", 10))
    return enqueue(KIND, {}, key=KEY, delay_seconds=delay_seconds)


def refreshed_by_jobs(max_age_seconds: int) -> bool:
    """Whether a page asking for figures leaves the computing to a job (and asks for one)."""
    if max_age_seconds <= 0 or not in_jobs():
        return False
    request_refresh()
    return True


def scheduled() -> None:
    """The worker's upkeep: queue a refresh when some township's figures are due."""
    if in_jobs() and due_townships(local_today(), _max_age()):
        request_refresh(0)


SCHEDULED.append(scheduled)


@event.listens_for(Session, "before_flush")
def _note_changes(session, flush_context, instances):
    if _touched_townships(session):
        session.info["dashboard_refresh_wanted"] = True


@event.listens_for(Session, "before_commit")
def _queue_after_changes(session):
    if not session.info.pop("dashboard_refresh_wanted", False):
        return
    if has_app_context() and in_jobs() and session is db.session():
        request_refresh()
