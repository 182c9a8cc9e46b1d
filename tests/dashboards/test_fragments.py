"""The city dashboard's tables rendered once per version of the summary
(portal/dashboards/fragments.py): a later view only reads the summary's state; a change, a
refresh, another locale or another day renders them afresh; what the page shows is the same."""
from __future__ import annotations

import json
import re

import pytest
from flask import template_rendered
from sqlalchemy import event

from portal.extensions import db
from portal.jobs import backends


@pytest.fixture
def in_jobs(app, monkeypatch):
    """As in production with a worker: the page reads what a job computed; nobody runs the
    queued refresh here."""
    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_IN_JOBS", True)
    monkeypatch.setattr(backends, "dispatch", lambda app, job_id: None)


class Watch:
    """The templates rendered and the statements run during a request."""

    def __init__(self, app):
        self.app, self.templates, self.statements = app, [], []

    def _template(self, sender, template, context, **extra):
        self.templates.append(template.name)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    def __enter__(self):
        template_rendered.connect(self._template, self.app)
        event.listen(db.engine, "before_cursor_execute", self._statement)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._template, self.app)
        event.remove(db.engine, "before_cursor_execute", self._statement)

    def read(self, table: str) -> bool:
        return any(table in s for s in self.statements)


def _page(client) -> str:
    response = client.get("/city/dashboard/")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _rates(page: str) -> list[float]:
    data = re.search(r'id="dashboard-data">(.*?)</script>', page, re.DOTALL).group(1)
    return json.loads(data)["rates"]


def _without_token(page: str) -> str:
    return re.sub(r'name="csrf[-_]token" (content|value)="[^"]+"', "", page)


def test_a_later_view_serves_the_kept_tables(app, population, in_jobs, client, login_as):
    from portal.dashboards.figures import refresh_figures
    from portal.tenancy import access_for

    refresh_figures(access_for(population.admin, None), [population.a.id, population.b.id],
                    population.today)
    login_as(population.supervisor)
    with Watch(app) as first:
        page = _page(client)
    assert "dashboards/_city_figures.html" in first.templates
    assert first.read("dashboard_figures") and first.read("township_estimates")
    with Watch(app) as later:
        again = _page(client)
    assert _without_token(again) == _without_token(page)
    assert "dashboards/_city_figures.html" not in later.templates
    assert not later.read("dashboard_figures") and not later.read("township_estimates")
    assert later.read("dashboard_refreshes")  # the summary's state, to know it is the same
    assert re.search(r'id="fig-certified">\s*4\s*<', again)


def test_a_change_renders_the_tables_afresh(app, population, in_jobs, client, login_as,
                                           db_session):
    from portal.dashboards.figures import refresh_figures
    from portal.dashboards.services import set_estimate
    from portal.tenancy import access_for

    refresh_figures(access_for(population.admin, None), [population.a.id, population.b.id],
                    population.today)
    login_as(population.supervisor)
    assert _rates(_page(client))[0] == round(3 / 67 * 100, 1)
    # A new estimate (no job has run: the counts are the same, the estimate is new).
    set_estimate(population.a, population.admin, 20, "")
    db_session.flush()
    assert _rates(_page(client))[0] == 15.0  # A: 3 certified of 20, no longer of 67
    # A target of the campaign.
    population.campaign.targets[0].holding_rate = 0.55
    db_session.flush()
    assert "55.0%" in _page(client)
    # The refresh (a job, here run by hand) writes a new version of the summary.
    refresh_figures(access_for(population.admin, None), [population.a.id, population.b.id],
                    population.today)
    with Watch(app) as after:
        _page(client)
    assert "dashboards/_city_figures.html" in after.templates


def test_each_locale_and_day_has_its_own_tables(app, population, in_jobs, client, login_as,
                                               monkeypatch):
    from datetime import timedelta

    from portal.dashboards.figures import refresh_figures
    from portal.tenancy import access_for

    refresh_figures(access_for(population.admin, None), [population.a.id, population.b.id],
                    population.today)
    login_as(population.supervisor)
    chinese = _page(client)
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    english = _page(client)
    assert "持证率" in chinese and 'id="h-units" class="h4">Holding rate per township' in english
    assert "持证率" not in english.split('id="h-overall"')[1]
    client.environ_base.pop("HTTP_ACCEPT_LANGUAGE")
    assert _without_token(_page(client)) == _without_token(chinese)
    # Another day: the chart's "today" (and the days left) move on.
    from portal.dashboards import views

    tomorrow = population.today + timedelta(days=1)
    assert f'"date": "{tomorrow.isoformat()}"' not in chinese
    monkeypatch.setattr(views, "local_today", lambda: tomorrow)
    assert f'"date": "{tomorrow.isoformat()}"' in _page(client)


def test_a_township_user_still_gets_no_city_tables(population, in_jobs, client, login_as):
    login_as(population.supervisor)
    _page(client)
    login_as(population.staff_a)
    assert client.get("/city/dashboard/").status_code == 404


def test_the_refresh_job_renders_the_tables_for_every_web_worker(app, population, client,
                                                                  login_as, monkeypatch):
    """A worker that has not seen the new summary reads the tables the job rendered."""
    from portal.dashboards import fragments, refresh_jobs
    from portal.jobs.runner import run
    from portal.jobs.services import pending
    from portal.uow import unit_of_work

    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_IN_JOBS", True)
    with unit_of_work():
        job = refresh_jobs.request_refresh(0)  # the inline backend runs it after the commit
    if job is None:  # one was waiting already
        run(pending(refresh_jobs.KIND, refresh_jobs.KEY).id, early=True)
    login_as(population.supervisor)
    served = {}
    for language in ("zh", "en"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        fragments.cache().clear()  # another web worker: nothing in its memory
        with Watch(app) as first:
            served[language] = _page(client)
        assert "dashboards/_city_figures.html" not in first.templates, language
        assert not first.read("dashboard_figures")
        assert re.search(r'id="fig-certified">\s*4\s*<', served[language])
    # The same as the page renders itself.
    for stored in fragments._directory().glob("*.json"):
        stored.unlink()
    for language in ("zh", "en"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        fragments.cache().clear()
        with Watch(app) as rendered:
            assert _without_token(_page(client)) == _without_token(served[language])
        assert "dashboards/_city_figures.html" in rendered.templates


def test_a_disk_refusing_the_tables_keeps_the_figures(app, population, monkeypatch):
    from sqlalchemy import select

    from portal.dashboards import fragments, refresh_jobs
    from portal.dashboards.models import DashboardRefresh
    from portal.jobs.models import Job
    from portal.jobs.runner import run
    from portal.jobs.services import pending
    from portal.uow import unit_of_work

    def full(key, fragment):
        raise OSError(28, "No space left on device")

    monkeypatch.setitem(app.config, "DASHBOARD_REFRESH_IN_JOBS", True)
    monkeypatch.setattr(fragments, "store", full)
    with unit_of_work():
        job = refresh_jobs.request_refresh(0)
    job_id = job.id if job is not None else pending(refresh_jobs.KIND, refresh_jobs.KEY).id
    if job is None:
        run(job_id, early=True)
    done = db.session.get(Job, job_id)
    db.session.refresh(done)
    assert done.state == "done" and done.result["tables"] == 0
    states = db.session.scalars(select(DashboardRefresh).where(
        DashboardRefresh.township_id.in_([population.a.id, population.b.id]))).all()
    assert len(states) == 2 and not any(s.stale for s in states)


def _overview_persons(page: str) -> list[int]:
    rows = re.findall(r'<th scope="row"><a href="[^"]+">[^<]+</a></th>\s*<td class="text-end">'
                      r'(\d+)</td>', page)
    return [int(n) for n in rows]


def test_the_city_overview_reads_the_summary_a_job_keeps(app, population, in_jobs, client,
                                                         login_as, db_session, make_person):
    """The overview counts a million persons only in the refresh job: a view reads the
    summary, says when it was computed, and shows a change once the job has run."""
    from portal.dashboards.figures import refresh_figures
    from portal.tenancy import access_for

    login_as(population.supervisor)
    live = client.get("/city/").get_data(as_text=True)  # no summary yet: counted now
    assert 'id="overview-computed"' not in live
    counted = _overview_persons(live)
    refresh_figures(access_for(population.admin, None), [population.a.id, population.b.id],
                    population.today)
    with Watch(app) as view:
        page = client.get("/city/").get_data(as_text=True)
    assert 'id="overview-computed"' in page and _overview_persons(page) == counted
    assert view.read("dashboard_figures")
    assert not view.read("FROM persons") and not view.read("FROM roster_entries")
    # A person added: the summary is stale until the job runs; then the count moves.
    make_person(population.a, name="新人", list_kind="suspected")
    db_session.flush()
    stale = client.get("/city/").get_data(as_text=True)
    assert _overview_persons(stale) == counted  # the job has not run yet
    refresh_figures(access_for(population.admin, None), [population.a.id, population.b.id],
                    population.today)
    page = client.get("/city/").get_data(as_text=True)
    assert sum(_overview_persons(page)) == sum(counted) + 1
