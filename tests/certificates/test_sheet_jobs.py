"""A print batch's data sheets are a job that ends in a file (portal/certificates/tasks.py):
the request only queues it, the job lays the sheets out with its progress and writes one
PDF (whose QR codes still carry each certificate's public address), the reveals of the ID
numbers are audited by the job for the asker, only the asker downloads the file, and a
failure leaves no file."""
from __future__ import annotations

import re

import pytest
from flask import has_request_context
from sqlalchemy import select

import portal.jobs.backends
from portal.audit.models import AuditEvent
from portal.certificates import pdf, tasks
from portal.extensions import db
from portal.jobs import runner
from portal.jobs.context import as_page
from portal.jobs.models import Job
from portal.tenancy import access_for
from tests.certificates.test_certificates import _cert, _printed
from tests.certificates.test_public_address import PUBLIC, _qr_codes
from tests.jobs.helpers import download_link as _link
from tests.jobs.helpers import (
    exported,
    own_import_dir,  # noqa: F401 (an autouse fixture)
)
from tests.jobs.helpers import job_files as _job_files


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                                   .order_by(AuditEvent.id)))


def test_the_request_queues_the_sheets_and_the_job_writes_the_pdf(
        app, world, approved, db_session, client, post, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", PUBLIC)
    cases = [approved(name=f"王{i}") for i in range(3)]
    batch = _printed(world, cases)
    certificates = [_cert(db_session, case) for case in cases]
    url = f"/city/certificates/batches/{batch.id}/sheets.pdf"
    login_as(world.city)
    page = client.get(f"/city/certificates/batches/{batch.id}").get_data(as_text=True)
    assert re.search(rf'<form method="post" action="{url}">', page)  # the button is a form
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 400  # without the form's CSRF token

    # No worker takes it yet: the request answers at once with the job's page.
    with pytest.MonkeyPatch.context() as no_worker:
        no_worker.setattr(portal.jobs.backends, "dispatch", lambda app, job_id: None)
        asked = post(url)
    assert asked.status_code == 302
    job = db.session.scalars(select(Job).where(Job.kind == tasks.BATCH_SHEETS)).one()
    assert asked.headers["Location"].endswith(f"/city/jobs/{job.id}")
    assert (job.state, job.township_id, job.created_by_id) == ("queued", None, world.city.id)
    assert set(job.args) == {"batch_id", "locale", "back"}  # ids only, no personal data
    shown = client.get(asked.headers["Location"]).get_data(as_text=True)
    assert 'id="job-progress"' in shown and _link(shown) is None
    assert _job_files(app) == []
    assert _events("certificate.sheets_pdf") == [] and _events("person.reveal") == []

    # The worker (no request around it) lays out two sheets at a time.
    monkeypatch.setattr(pdf, "SHEETS_PER_LAYOUT", 2)
    told = []
    real_beat = runner.Beat.__call__
    monkeypatch.setattr(runner.Beat, "__call__",
                        lambda beat, *values: (told.append(values), real_beat(beat, *values)))
    assert not has_request_context()  # as in a work horse
    assert runner.run(job.id) == "done"
    db.session.refresh(job)
    assert told == [("rendering", 0, 3), ("rendering", 2, 3), ("rendering", 3, 3)]
    assert (job.phase, job.done, job.total) == ("rendering", 3, 3)
    assert job.result["rows"] == 3 and job.result["masked"] is False
    (stored,) = _job_files(app)
    assert stored.name.startswith(f"{job.id}-") and oct(stored.stat().st_mode & 0o777) == "0o600"

    # The job audits what the request did, for the asker.
    (sheets,) = _events("certificate.sheets_pdf")
    assert (sheets.actor_id, sheets.object_id, sheets.details) == (
        world.city.id, batch.id, {"certificates": 3})
    reveals = _events("person.reveal")
    assert sorted(e.object_id for e in reveals) == sorted(c.person_id for c in certificates)
    assert {(e.actor_id, e.details["via"]) for e in reveals} == {
        (world.city.id, "certificate_sheet")}

    shown = client.get(asked.headers["Location"]).get_data(as_text=True)
    response = client.get(_link(shown))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    # One page per certificate, each with the QR of its own public address.
    codes = _qr_codes(response.data)
    assert len(codes) == 3 and all(code.startswith(PUBLIC + "/v/") for code in codes)
    for code in codes:
        scanned = client.get(code.removeprefix(PUBLIC))
        assert scanned.status_code == 200 and "Valid" in scanned.get_data(as_text=True)
    # Full ID numbers inside: the answer is not cached and loads nothing.
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")
    (downloaded,) = _events("job.file_downloaded")
    assert downloaded.actor_id == world.city.id
    assert downloaded.details == {"kind": tasks.BATCH_SHEETS, "rows": 3, "masked": False}


def test_only_the_asker_downloads_the_sheets(world, approved, db_session, client, post,
                                             login_as):
    batch = _printed(world, [approved()])
    url = f"/city/certificates/batches/{batch.id}/sheets.pdf"
    login_as(world.city)
    response = exported(client, post, url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    job = db.session.scalars(select(Job).where(Job.kind == tasks.BATCH_SHEETS)).one()
    job_page = f"/city/jobs/{job.id}"
    link = _link(client.get(job_page).get_data(as_text=True))
    # Another city administrator, a supervisor (who may not print), township staff.
    for someone in (world.approver, world.supervisor, world.staff):
        login_as(someone)
        for page in (job_page, link, f"{job_page}/progress"):
            assert client.get(page).status_code == 404, (someone.username, page)
    login_as(world.supervisor)
    assert post(url).status_code == 403  # and cannot ask for the sheets either
    assert db.session.scalars(select(Job)).all() == [job]


def test_a_failed_rendering_leaves_no_file_and_can_be_tried_again(
        app, world, approved, db_session, client, post, login_as, monkeypatch):
    batch = _printed(world, [approved()])
    login_as(world.city)
    real = tasks.data_sheets_pdf

    def breaks_midway(certificates, progress=None):
        raise OSError("out of memory while laying out")

    monkeypatch.setattr(tasks, "data_sheets_pdf", breaks_midway)
    job_page = post(f"/city/certificates/batches/{batch.id}/sheets.pdf").headers["Location"]
    job = db.session.scalars(select(Job).where(Job.kind == tasks.BATCH_SHEETS)).one()
    assert job.state == "failed"
    assert _job_files(app) == []
    # Nothing of the failed run is kept, its audit events neither.
    assert _events("certificate.sheets_pdf") == [] and _events("person.reveal") == []
    page = client.get(job_page).get_data(as_text=True)
    assert "failed" in page.lower() and _link(page) is None
    assert client.get(f"{job_page}/file").status_code == 404

    monkeypatch.setattr(tasks, "data_sheets_pdf", real)
    assert post(f"{job_page}/retry").status_code == 302
    db.session.refresh(job)
    assert (job.state, job.attempts) == ("done", 2)
    assert len(_job_files(app)) == 1 and len(_events("certificate.sheets_pdf")) == 1


def test_the_job_writes_nothing_for_an_asker_who_lost_the_right(
        app, world, approved, db_session, client, post, login_as):
    batch = _printed(world, [approved()])
    login_as(world.city)
    with pytest.MonkeyPatch.context() as no_worker:
        no_worker.setattr(portal.jobs.backends, "dispatch", lambda app, job_id: None)
        post(f"/city/certificates/batches/{batch.id}/sheets.pdf")
    job = db.session.scalars(select(Job).where(Job.kind == tasks.BATCH_SHEETS)).one()
    world.city.active = False  # switched off before a worker took the job
    db.session.flush()
    assert runner.run(job.id) == "failed"
    db.session.refresh(job)
    assert job.error == "missing" and _job_files(app) == []
    assert _events("person.reveal") == []


def test_the_sheets_report_their_progress_per_group(app, world, approved, db_session,
                                                     monkeypatch):
    monkeypatch.setattr(pdf, "SHEETS_PER_LAYOUT", 1)
    cases = [approved(name=f"李{i}") for i in range(2)]
    _printed(world, cases)
    told = []
    with as_page(access_for(world.city, None)):
        data = pdf.data_sheets_pdf([_cert(db_session, c) for c in cases],
                                   lambda done, total: told.append((done, total)))
    assert data.startswith(b"%PDF") and told == [(1, 2), (2, 2)]
