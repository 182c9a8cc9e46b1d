"""The database stopped in the middle of a request: a clear 503 page in Chinese, nothing
half-written (checked through a direct connection), no evidence object left behind, and the
same request succeeding once the database is back.

PostgreSQL: the portal reaches the server through a proxy of the test's own, which is stopped
(connections reset, new ones refused) just before the request's second write statement, so
that the first write has reached the server inside the open transaction. SQLite: another
connection holds the write lock for longer than the busy timeout.
"""
from __future__ import annotations

import contextlib
import sqlite3

import pytest
import sqlalchemy as sa

from portal.extensions import db
from tests.conftest import csrf_token
from tests.faults.conftest import case_url, count, login, page, scalar, upload

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
def database_fails_mid_request(env, app):
    """The database fails during the request made inside the block; back afterwards.

    Yields a list that receives the statements that ran before the failure (PostgreSQL).
    """
    ran: list[str] = []
    if env.backend == "postgresql":
        writes = 0

        def cut_before_second_write(conn, cursor, statement, parameters, context, many):
            nonlocal writes
            ran.append(statement)
            if statement.lstrip().lower().startswith(WRITES):
                writes += 1
                if writes == 2:
                    env.db_proxy.stop()

        with app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", cut_before_second_write)
        try:
            yield ran
        finally:
            sa.event.remove(engine, "before_cursor_execute", cut_before_second_write)
            env.db_proxy.restore()
        assert writes >= 2, f"the request wrote {writes} statement(s): no mid-way cut"
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
        assert f'href="{case_url(world)}' in page(response)  # "try again": the same page
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
