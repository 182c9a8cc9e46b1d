"""The database stopped in the middle of a request: a clear 503 page in Chinese, nothing
half-written (checked through a direct connection), no evidence object left behind, and the
same request succeeding once the database is back.

PostgreSQL: the portal reaches the server through a proxy of the test's own, which is stopped
(connections closed, new ones refused) just before the request's second write statement, so
that the first write has reached the server inside the open transaction. SQLite: another
connection holds the write lock for longer than the busy timeout.
"""
from __future__ import annotations

import contextlib
import io
import sqlite3
from pathlib import Path

import pytest
import sqlalchemy as sa

from portal.extensions import db
from tests.conftest import csrf_token
from tests.faults.conftest import (
    case_url,
    count,
    guardian_login,
    guardian_send,
    login,
    page,
    scalar,
    upload,
)

UNAVAILABLE_TITLE = "数据库暂时无法访问"
UNAVAILABLE_TEXT = "平台暂时无法连接数据库，因此没有保存任何内容。请过几分钟再试。"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 4000
WRITES = ("insert", "update", "delete")


def assert_unavailable_page(response) -> None:
    """The user's page: 503, in Chinese, saying nothing was saved, no trace of the error."""
    assert response.status_code == 503, page(response)[:1500]
    body = page(response)
    assert UNAVAILABLE_TITLE in body and UNAVAILABLE_TEXT in body
    assert response.headers["Retry-After"].isdigit()
    for leak in ("Traceback", "OperationalError", "psycopg", "sqlite3", "INSERT", "UPDATE"):
        assert leak not in body


@contextlib.contextmanager
def database_fails_mid_request(env, app, nth_write: int = 2):
    """The database fails during the request made inside the block, just before its
    `nth_write` write statement (PostgreSQL); back afterwards.

    Yields a list that receives the statements that ran before the failure (PostgreSQL).
    """
    ran: list[str] = []
    if env.backend == "postgresql":
        writes = 0

        def cut_before_nth_write(conn, cursor, statement, parameters, context, many):
            nonlocal writes
            ran.append(statement)
            if statement.lstrip().lower().startswith(WRITES):
                writes += 1
                if writes == nth_write:
                    env.db_proxy.stop()

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", cut_before_nth_write)
        try:
            yield ran
        finally:
            sa.event.remove(engine, "before_cursor_execute", cut_before_nth_write)
            env.db_proxy.restore()
        assert writes >= nth_write, f"the request wrote {writes} statement(s): no cut"
        return
    path = env.direct.url.database
    locker = sqlite3.connect(path, isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")  # with WAL: readers go on, no other writer
    try:
        yield ran
    finally:
        locker.execute("ROLLBACK")
        locker.close()


def stored_files(env) -> list[str]:
    root = env.evidence_dir
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_case_step_when_the_database_stops(env, app, client, world):
    login(client, world.staff)
    step = case_url(world, "/steps/withdraw")
    token = csrf_token(client)
    with database_fails_mid_request(env, app):
        response = client.post(step, data={"csrf_token": token, "note": "搬到外地"})
    assert_unavailable_page(response)
    # Nothing of the step was committed: state, timeline, roster entry, audit.
    assert scalar(env, "SELECT state FROM cases WHERE id = :id", id=world.case_id) == "registered"
    assert count(env, "SELECT count(*) FROM case_events WHERE case_id = :id",
                 id=world.case_id) == 0
    assert count(env, "SELECT count(*) FROM audit_events WHERE action = 'case.withdraw'") == 0
    assert scalar(env, "SELECT status FROM roster_entries WHERE person_id = :id",
                  id=world.person_id) != "withdrawn"
    # The database is back: the very same request goes through, once.
    response = client.post(step, data={"csrf_token": token, "note": "搬到外地"})
    assert response.status_code == 302, page(response)[:1500]
    assert scalar(env, "SELECT state FROM cases WHERE id = :id", id=world.case_id) == "withdrawn"
    assert count(env, "SELECT count(*) FROM case_events WHERE case_id = :id",
                 id=world.case_id) == 1


def test_evidence_upload_when_the_database_stops_after_the_object_is_stored(env, app, client,
                                                                           world):
    login(client, world.staff)
    with database_fails_mid_request(env, app) as ran:
        response = upload(client, world, JPEG)
    assert_unavailable_page(response)
    if env.backend == "postgresql":  # the row was sent; the transaction died before commit
        assert any(s.lstrip().lower().startswith("insert into evidence") for s in ran)
    assert count(env, "SELECT count(*) FROM evidence WHERE case_id = :id",
                 id=world.case_id) == 0
    assert count(env, "SELECT count(*) FROM audit_events WHERE action = 'evidence.upload'") == 0
    assert stored_files(env) == []  # the object written before the failure was deleted
    response = upload(client, world, JPEG)
    assert response.status_code == 302, page(response)[:1500]
    key = scalar(env, "SELECT object_key FROM evidence WHERE case_id = :id", id=world.case_id)
    assert stored_files(env) == [key]


def test_guardian_upload_when_the_database_stops_after_the_evidence_row(env, app, client,
                                                                        world):
    """The guardian's upload writes the evidence row, its audit, then the guardian's own
    record: a cut before that last one rolls back the first two, and the object goes with
    them (the session's rollback hook), so nothing remains anywhere."""
    guardian_login(client, world)
    content = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + b"\x00" * 9000
    with database_fails_mid_request(env, app, nth_write=3) as ran:
        response = guardian_send(client, world, io.BytesIO(content))
    assert_unavailable_page(response)
    if env.backend == "postgresql":
        assert [s for s in ran if s.lstrip().lower().startswith("insert into evidence")]
    assert count(env, "SELECT count(*) FROM evidence WHERE case_id = :id",
                 id=world.case_id) == 0
    assert count(env, "SELECT count(*) FROM guardian_uploads WHERE case_id = :id",
                 id=world.case_id) == 0
    assert stored_files(env) == []
    response = guardian_send(client, world, io.BytesIO(content))
    assert response.status_code == 302, page(response)[:1500]
    assert count(env, "SELECT count(*) FROM guardian_uploads WHERE case_id = :id",
                 id=world.case_id) == 1
    assert len(stored_files(env)) == 1


def test_database_down_before_the_request_starts(env, app, client, world):
    """Down from the start: even loading the logged-in user fails; the page needs no
    database at all, and the portal works again once it is back."""
    if env.backend != "postgresql":
        pytest.skip("a stopped server is PostgreSQL's case; SQLite is a file")
    login(client, world.staff)
    token = csrf_token(client)
    env.db_proxy.stop()
    try:
        response = client.get(case_url(world))
        assert_unavailable_page(response)
        assert f'href="{case_url(world)}"' in page(response)  # "try again": the same page
        response = client.post("/auth/login", data={"username": world.staff,
                                                    "password": "wrong", "csrf_token": token})
        assert_unavailable_page(response)
        # Another error page (an expired form) needs the database for its frame: the
        # outage is what the user is told.
        assert_unavailable_page(client.post(case_url(world, "/steps/withdraw"), data={}))
    finally:
        env.db_proxy.restore()
    assert client.get(case_url(world)).status_code == 200


def test_restart_while_idle_costs_no_request(env, app, client, world):
    """The server restarted between two requests: pooled connections are dead, and the next
    request still succeeds (the engine pings a connection before handing it out)."""
    if env.backend != "postgresql":
        pytest.skip("pooled server connections are PostgreSQL's case")
    login(client, world.staff)
    assert client.get(case_url(world)).status_code == 200
    env.db_proxy.drop_connections()
    response = client.get(case_url(world))
    assert response.status_code == 200, page(response)[:1500]


def test_a_query_bug_is_still_an_error_not_an_outage(env, app, client, world, monkeypatch):
    """Only an unreachable database gets the 503 page; a broken statement stays a 500."""
    from portal.cases import views

    def broken(*args, **kwargs):
        raise sa.exc.ProgrammingError("SELECT nonsense", {}, Exception("syntax error"))

    login(client, world.staff)
    monkeypatch.setattr(views, "take_step", broken)
    response = client.post(case_url(world, "/steps/withdraw"),
                           data={"csrf_token": csrf_token(client), "note": "x"})
    assert response.status_code == 500
    assert UNAVAILABLE_TITLE not in page(response)


def _roster(tmp_path, rows: int):
    from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book

    return write_book(tmp_path / "名单.xlsx", [["故障乡疑似残疾人名单"], SUSPECTED_HEADER]
                      + suspected_rows(rows), merges=["A1:N1"])


def _previewed_roster(client, world, tmp_path, rows: int) -> tuple[str, str, str]:
    """Upload a roster and let it be checked (a job, run inline once the upload committed):
    (job page, confirm URL, token)."""
    with open(_roster(tmp_path, rows), "rb") as fh:
        response = client.post(f"/t/{world.code}/imports/new", data={
            "csrf_token": csrf_token(client), "list_kind": "suspected",
            "file": (fh, "名单.xlsx")}, content_type="multipart/form-data")
    assert response.status_code == 302, page(response)[:1500]
    job_page = response.headers["Location"]
    token = job_page.rsplit("/", 1)[-1]
    return job_page, f"/t/{world.code}/imports/jobs/{token}/confirm", token


def test_roster_import_confirm_when_the_database_stops(env, app, client, world, tmp_path,
                                                       monkeypatch):
    """All or nothing: a cut in the middle of the import leaves no person and no entry, the
    upload is kept, and the import is done once, in full, when it is tried again.

    SQLite: the lock stops the confirmation itself (503), which succeeds once it is gone.
    PostgreSQL: the confirmation is saved and the import job runs into the cut: it cannot even
    record its failure, so it stays "running" until its heartbeat is stale; then its page says
    it failed and offers "Try again"."""
    login(client, world.staff)
    job_page, confirm, token = _previewed_roster(client, world, tmp_path, 40)
    persons = "SELECT count(*) FROM persons WHERE township_id = :t"
    before = count(env, persons, t=world.township_id)
    csrf = csrf_token(client)
    with database_fails_mid_request(env, app, nth_write=4) as ran:
        response = client.post(confirm, data={"csrf_token": csrf})
    if env.backend == "sqlite":
        assert_unavailable_page(response)
    else:
        assert response.status_code == 302
        assert [s for s in ran if s.startswith("INSERT INTO audit_events")]  # mid-import
    assert count(env, persons, t=world.township_id) == before
    assert count(env, "SELECT count(*) FROM roster_entries WHERE township_id = :t",
                 t=world.township_id) == 1  # the world's own
    assert count(env, "SELECT count(*) FROM audit_events WHERE action LIKE 'roster.import%'"
                 ) == 0
    assert any(app.config["IMPORT_DIR"] and p.is_file()
               for p in Path(app.config["IMPORT_DIR"]).iterdir())  # the upload is kept
    if env.backend == "sqlite":
        assert 'id="count-new">40<' in page(client.get(job_page))  # offered again
        assert client.post(confirm, data={"csrf_token": csrf}).status_code == 302
    else:
        assert scalar(env, "SELECT state FROM jobs WHERE kind = 'roster.import'") == "running"
        monkeypatch.setitem(app.config, "JOBS_STALE_SECONDS", 0)
        shown = page(client.get(job_page))
        assert "重试" in shown and "没有保存任何内容" in shown
        assert scalar(env, "SELECT error FROM jobs WHERE kind = 'roster.import'") == "lost"
        assert client.post(job_page + "/retry", data={"csrf_token": csrf}).status_code == 302
    assert scalar(env, "SELECT status FROM import_jobs WHERE token = :t", t=token) == "done"
    assert count(env, persons, t=world.township_id) == before + 40


def test_a_running_import_is_not_offered_again(env, app, client, world, tmp_path):
    """An import that is running (its job beats) shows its progress, and a second
    confirmation queues nothing."""
    from portal.jobs.models import Job
    from portal.models_base import utcnow
    from portal.rosters.models import ImportJob

    login(client, world.staff)
    job_page, confirm, token = _previewed_roster(client, world, tmp_path, 3)
    with app.app_context():
        upload = db.session.execute(
            sa.select(ImportJob).where(ImportJob.token == token)).scalar_one()
        upload.status = "importing"
        db.session.add(Job(kind="roster.import", args={"import_job": upload.id},
                           key=f"import_job:{upload.id}", township_id=upload.township_id,
                           state="running", attempts=1, heartbeat_at=utcnow()))
        db.session.commit()
    shown = page(client.get(job_page))
    assert 'id="count-new">' not in shown and 'id="job-progress"' in shown
    client.post(confirm, data={"csrf_token": csrf_token(client)})
    assert scalar(env, "SELECT status FROM import_jobs WHERE token = :t",
                  t=token) == "importing"
    assert count(env, "SELECT count(*) FROM jobs WHERE kind = 'roster.import'") == 1
    assert count(env, "SELECT count(*) FROM persons WHERE township_id = :t",
                 t=world.township_id) == 1
