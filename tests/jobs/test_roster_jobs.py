"""A roster upload is checked and imported by jobs: the pages show the job's state and
progress, a job whose worker died is shown failed with "Try again", and the retry imports the
file once (no person twice)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from portal.extensions import db
from portal.jobs import backends, runner
from portal.jobs.models import Job
from portal.models_base import utcnow
from portal.rosters.models import ImportJob, Person
from tests.imports.conftest import SUSPECTED_HEADER, staff, suspected_rows, write_book  # noqa: F401


def _book(tmp_path, rows):
    return write_book(tmp_path / "名单.xlsx", [["名单"], SUSPECTED_HEADER] + rows)


def _upload(post, township, path):
    with open(path, "rb") as fh:
        return post(f"/t/{township.code}/imports/new",
                    data={"list_kind": "suspected", "file": (fh, "名单.xlsx")},
                    content_type="multipart/form-data")


def _persons(township) -> int:
    return db.session.scalar(select(func.count()).select_from(Person)
                             .where(Person.township_id == township.id))


def test_upload_and_import_are_jobs_with_their_progress(staff, tmp_path, client, post,  # noqa: F811
                                                         login_as, db_session):
    township, user = staff
    login_as(user)
    response = _upload(post, township, _book(tmp_path, suspected_rows(12)))
    token = response.headers["Location"].rsplit("/", 1)[-1]
    upload = db.session.scalars(select(ImportJob).where(ImportJob.token == token)).one()
    parse = db.session.scalars(select(Job).where(Job.key == f"import_job:{upload.id}")).one()
    assert (parse.kind, parse.state, parse.township_id, parse.created_by_id) == (
        "roster.parse", "done", township.id, user.id)
    assert parse.args == {"import_job": upload.id}  # ids only, never the file's contents
    post(f"/t/{township.code}/imports/jobs/{token}/confirm")
    jobs = db.session.scalars(select(Job).where(Job.key == f"import_job:{upload.id}")
                              .order_by(Job.id)).all()
    assert [(j.kind, j.state) for j in jobs] == [("roster.parse", "done"),
                                                 ("roster.import", "done")]
    assert jobs[1].result == {"imported": 12, "updated": 0, "rejected": 0}
    progress = client.get(f"/t/{township.code}/imports/jobs/{token}/progress").get_json()
    assert (progress["state"], progress["percent"], progress["active"]) == ("done", 100, False)
    # Confirming again queues nothing.
    post(f"/t/{township.code}/imports/jobs/{token}/confirm")
    assert db.session.scalar(select(func.count()).select_from(Job).where(
        Job.key == f"import_job:{upload.id}")) == 2


def test_a_dead_import_is_failed_and_its_retry_imports_once(staff, tmp_path, client, post,  # noqa: F811
                                                            login_as, db_session, app,
                                                            monkeypatch):
    township, user = staff
    login_as(user)
    token = _upload(post, township, _book(tmp_path, suspected_rows(20))).headers[
        "Location"].rsplit("/", 1)[-1]
    page_url = f"/t/{township.code}/imports/jobs/{token}"
    # No worker picks the import up: it is taken, and its worker dies at once.
    monkeypatch.setattr(backends, "dispatch", lambda app, job_id: None)
    post(f"{page_url}/confirm")
    job = db.session.scalars(select(Job).where(Job.kind == "roster.import")).one()
    assert job.state == "queued"
    page = client.get(page_url).get_data(as_text=True)
    assert 'id="job-progress"' in page and "等待" in page  # queued: waiting for a worker
    assert '<meta http-equiv="refresh"' in page  # refreshes itself without JavaScript
    runner.claim(job.id)
    db.session.execute(update(Job).where(Job.id == job.id).values(
        heartbeat_at=utcnow() - timedelta(seconds=app.config["JOBS_STALE_SECONDS"] + 1)))
    progress = client.get(f"{page_url}/progress").get_json()
    assert (progress["state"], progress["error"]) == ("failed", "lost")
    page = client.get(page_url).get_data(as_text=True)
    assert "重新开始" in page or "再试" in page or "重试" in page
    assert db.session.scalar(select(ImportJob.status).where(ImportJob.token == token)) == "failed"
    assert _persons(township) == 0

    monkeypatch.undo()
    assert post(f"{page_url}/retry").status_code == 302
    db.session.refresh(job)
    assert (job.state, job.attempts) == ("done", 2)
    assert _persons(township) == 20
    assert db.session.scalar(select(func.count(func.distinct(Person.id_number))).where(
        Person.township_id == township.id)) == 20
    assert db.session.scalar(select(ImportJob.status).where(ImportJob.token == token)) == "done"
