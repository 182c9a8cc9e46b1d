"""The monthly supervision report as PDF is a job that ends in a file
(portal/supervision/tasks.py): the reports page posts for it, the request only queues it, the
job counts and lays the report out and writes the PDF, only the asker downloads it, and a
failure leaves no file."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import has_request_context
from sqlalchemy import select

import portal.jobs.backends
from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.jobs import runner
from portal.jobs.models import Job
from portal.supervision import report, tasks
from tests.jobs.helpers import download_link as _link
from tests.jobs.helpers import job_files as _job_files
from tests.jobs.helpers import own_import_dir  # noqa: F401 (an autouse fixture)
from tests.supervision.test_supervision import _issue, county, pdf_text, today  # noqa: F401


def test_the_reports_page_posts_for_the_pdf_and_the_job_writes_it(
        app, db_session, client, post, login_as, county, today, monkeypatch):  # noqa: F811
    login_as(county["supervisor"])
    _issue(post, county, today + timedelta(days=3))
    code = county["home"].code
    url = f"/city/supervision/report/{code}/2026-12.pdf"
    assert 'href="/city/supervision/report"' in client.get(
        "/city/supervision/").get_data(as_text=True)
    page = client.get("/city/supervision/report?month=2026-12").get_data(as_text=True)
    assert f'<form method="post" action="{url}">' in page
    assert f'href="/city/supervision/report/{code}/2026-12.xlsx"' in page
    assert "/2026-11.pdf" in client.get(
        "/city/supervision/report?month=2026-11").get_data(as_text=True)
    assert client.get("/city/supervision/report?month=nonsense").status_code == 200
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400  # without the form's CSRF token

    with pytest.MonkeyPatch.context() as no_worker:
        no_worker.setattr(portal.jobs.backends, "dispatch", lambda app, job_id: None)
        asked = post(url)
    assert asked.status_code == 302
    job = db.session.scalars(select(Job).where(Job.kind == tasks.REPORT_PDF)).one()
    assert asked.headers["Location"].endswith(f"/city/jobs/{job.id}")
    assert (job.state, job.township_id, job.created_by_id) == (
        "queued", None, county["supervisor"].id)
    assert job.args == {"township_id": county["home"].id, "year": 2026, "month": 12,
                        "locale": job.args["locale"], "back": job.args["back"]}
    shown = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="job-progress"' in shown and _link(shown) is None
    assert _job_files(app) == []

    # A worker, with no request around it.
    told = []
    real_beat = runner.Beat.__call__
    monkeypatch.setattr(runner.Beat, "__call__",
                        lambda beat, *values: (told.append(values), real_beat(beat, *values)))
    assert not has_request_context()  # as in a work horse
    assert runner.run(job.id) == "done"
    db.session.refresh(job)
    assert told == [("counting", 0, 0), ("rendering", 0, 1), ("rendering", 1, 1)]
    assert job.result["rows"] == 1 and job.result["pages"] >= 1
    assert job.result["filename"] == f"supervision-{code}-2026-12.pdf"
    shown = client.get(asked.headers["Location"]).get_data(as_text=True)
    pages = job.result["pages"]
    assert f"文件已生成：共 {pages} 页" in shown  # a report of pages, not of masked rows
    assert "已部分隐藏" not in shown
    response = client.get(_link(shown))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF") and "督办〔2026〕1号" in pdf_text(response.data)
    (downloaded,) = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "job.file_downloaded")).all()
    assert downloaded.actor_id == county["supervisor"].id


def test_only_the_asker_downloads_the_report(db_session, client, post, login_as, county,  # noqa: F811
                                            today, make_user):  # noqa: F811
    login_as(county["supervisor"])
    code = county["home"].code
    job_page = post(f"/city/supervision/report/{code}/2026-12.pdf").headers["Location"]
    link = _link(client.get(job_page).get_data(as_text=True))
    assert client.get(link).status_code == 200
    for someone in (make_user("supervisor"), make_user("city_admin"), county["staff"]):
        login_as(someone)
        for url in (job_page, link, f"{job_page}/progress"):
            assert client.get(url).status_code == 404, (someone.username, url)
    login_as(county["staff"])  # township staff cannot ask for it either
    assert post(f"/city/supervision/report/{code}/2026-12.pdf").status_code == 404


def test_a_failed_report_leaves_no_file(app, db_session, client, post, login_as,
                                        county, today, monkeypatch):  # noqa: F811
    login_as(county["supervisor"])

    def breaks(report_data):
        raise OSError("fonts missing")

    monkeypatch.setattr(report, "pdf_document", breaks)
    job_page = post(f"/city/supervision/report/{county['home'].code}/2026-12.pdf"
                    ).headers["Location"]
    job = db.session.scalars(select(Job).where(Job.kind == tasks.REPORT_PDF)).one()
    assert job.state == "failed" and _job_files(app) == []
    page = client.get(job_page).get_data(as_text=True)
    assert _link(page) is None and 'action="' + job_page + '/retry"' in page
    assert client.get(f"{job_page}/file").status_code == 404
