"""Jobs that end in a file (portal/jobs/files.py), shown with the roster exports: the request
only queues the export; the job writes the file; only the person who asked can see the job
and download its file, and the download is audited; a failed export leaves no file and can be
tried again; files are removed after the keeping time."""
from __future__ import annotations

import os
import re
import time
from io import BytesIO

import openpyxl
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.imports import exports
from portal.jobs import backends, runner
from portal.jobs.models import Job
from tests.imports.conftest import staff  # noqa: F401
from tests.jobs.helpers import download_link as _link
from tests.jobs.helpers import job_files as _job_files
from tests.jobs.helpers import own_import_dir  # noqa: F401 (an autouse fixture)


def _download(client, url):
    response = client.get(url)
    data = response.get_data()
    response.close()
    return response.status_code, data


def test_the_request_queues_the_export_and_the_job_writes_the_file(
        staff, make_person, client, post, login_as, db_session, app, monkeypatch):  # noqa: F811
    township, user = staff
    people = [make_person(township, list_kind="suspected") for _ in range(3)]
    login_as(user)
    assert client.get(f"/t/{township.code}/imports/export/suspected.xlsx").status_code == 405
    # No worker takes it yet: the request answers at once with the job's page.
    monkeypatch.setattr(backends, "dispatch", lambda app, job_id: None)
    asked = post(f"/t/{township.code}/imports/export/suspected.xlsx")
    assert asked.status_code == 302
    job = db.session.scalars(select(Job).where(Job.kind == "roster.export")).one()
    assert asked.headers["Location"].endswith(f"/t/{township.code}/jobs/{job.id}")
    assert (job.state, job.township_id, job.created_by_id) == ("queued", township.id, user.id)
    assert set(job.args) == {"list_kind", "reveal", "locale", "back"}  # no personal data
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="job-progress"' in page and _link(page) is None
    assert _job_files(app) == []
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "roster.exported")) is None

    monkeypatch.undo()
    runner.run(job.id)
    db.session.refresh(job)
    assert job.state == "done" and job.result["rows"] == 3 and job.result["masked"] is False
    page = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert "3" in page and _link(page)
    status, data = _download(client, _link(page))
    assert status == 200
    cells = [c for row in openpyxl.load_workbook(BytesIO(data)).active.iter_rows(
        values_only=True) for c in row if c is not None]
    assert {p.id_number for p in people} <= set(cells)
    downloaded = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "job.file_downloaded")).one()
    assert downloaded.actor_id == user.id
    assert downloaded.details == {"kind": "roster.export", "rows": 3, "masked": False}
    # The file is the portal's alone, and named by the job, never by a person.
    (stored,) = _job_files(app)
    assert stored.name.startswith(f"{job.id}-") and oct(stored.stat().st_mode & 0o777) == "0o600"


def test_only_the_asker_sees_the_job_and_its_file(staff, make_person, make_user,  # noqa: F811
                                                 make_township, client, post, login_as,
                                                 db_session):
    township, user = staff
    make_person(township, list_kind="suspected")
    login_as(user)
    job_page = post(f"/t/{township.code}/imports/export/suspected.xlsx").headers["Location"]
    link = _link(client.get(job_page).get_data(as_text=True))
    job_id = int(job_page.rsplit("/", 1)[-1])
    # A colleague of the same township, a staff member elsewhere, the city: not found.
    colleague = make_user("township_staff", township)
    other = make_township()
    elsewhere = make_user("township_staff", other)
    for someone, url in ((colleague, job_page), (colleague, link),
                         (colleague, f"{job_page}/progress"),
                         (elsewhere, f"/t/{other.code}/jobs/{job_id}"),
                         (elsewhere, f"/t/{other.code}/jobs/{job_id}/file"),
                         (make_user("city_admin"), f"/city/jobs/{job_id}")):
        login_as(someone)
        assert client.get(url).status_code == 404, (someone.username, url)
    # A supervisor's city export is the supervisor's own.
    supervisor, other_supervisor = make_user("supervisor"), make_user("supervisor")
    login_as(supervisor)
    city_page = post("/city/exports/suspected.xlsx").headers["Location"]
    assert re.search(r"/city/jobs/\d+$", city_page)
    status, _ = _download(client, _link(client.get(city_page).get_data(as_text=True)))
    assert status == 200
    login_as(other_supervisor)
    assert client.get(city_page).status_code == 404


def test_a_failed_export_leaves_no_file_and_can_be_tried_again(
        staff, make_person, client, post, login_as, db_session, app, monkeypatch):  # noqa: F811
    township, user = staff
    make_person(township, list_kind="suspected")
    login_as(user)
    real = exports.export_township

    def breaks_midway(township, actor, list_kind, target, **kwargs):
        target.write(b"PK half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(exports, "export_township", breaks_midway)
    job_page = post(f"/t/{township.code}/imports/export/suspected.xlsx").headers["Location"]
    job = db.session.scalars(select(Job).where(Job.kind == "roster.export")).one()
    assert job.state == "failed"
    assert _job_files(app) == []  # not half a workbook
    page = client.get(job_page).get_data(as_text=True)
    assert "失败" in page and _link(page) is None
    assert client.get(f"{job_page}/file").status_code == 404
    monkeypatch.setattr(exports, "export_township", real)
    assert post(f"{job_page}/retry").status_code == 302
    db.session.refresh(job)
    assert (job.state, job.attempts) == ("done", 2)
    assert len(_job_files(app)) == 1 and _link(client.get(job_page).get_data(as_text=True))


def test_files_are_removed_after_the_keeping_time(staff, make_person, client, post,  # noqa: F811
                                                  login_as, db_session, app, runner):
    township, user = staff
    make_person(township, list_kind="suspected")
    login_as(user)
    job_page = post(f"/t/{township.code}/imports/export/suspected.xlsx").headers["Location"]
    (stored,) = _job_files(app)
    result = runner.invoke(args=["jobs", "reap"])
    assert "files_removed=0" in result.output and stored.exists()
    old = time.time() - (app.config["JOB_FILES_KEEP_HOURS"] * 3600 + 60)
    os.utime(stored, (old, old))
    result = runner.invoke(args=["jobs", "reap"])
    assert "files_removed=1" in result.output and not stored.exists()
    page = client.get(job_page).get_data(as_text=True)
    assert _link(page) is None and "不再保留" in page
    assert client.get(f"{job_page}/file").status_code == 404
