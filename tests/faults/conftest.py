"""Fixtures of the fault tests: an app of their own whose transactions really commit.

These tests stop the database or the object store in the middle of a request, so they cannot
run inside the rolled-back `db_session` transaction of tests/conftest.py: each module gets a
fresh database (SQLite file, or a PostgreSQL database of its own reached through a `FaultProxy`),
built by the migrations; every test commits its own data and the rows are deleted after it.
A second engine connects directly (never through the proxy) to check what was really written.
"""
from __future__ import annotations

import io
import re
import shutil
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from tests.conftest import (
    BACKENDS,
    PASSWORD,
    IsolatedClient,
    create_postgres_database,
    csrf_token,
    drop_postgres_database,
)
from tests.faults.proxy import FaultProxy
from tests.storage.s3 import s3_endpoint  # noqa: F401 (fixture)

# SQLite's busy timeout in these tests: a lock held longer than this is "database unavailable".
SQLITE_BUSY_SECONDS = 0.3


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def env(request, tmp_path_factory):
    """The app (its database reached through a proxy on PostgreSQL), a direct engine, the proxy.

    `env.backend` is "sqlite" or "postgresql"; `env.db_proxy` is None on SQLite.
    """
    if request.param not in BACKENDS:
        pytest.skip("PostgreSQL fault tests need TEST_DATABASE_URL")
    tmp = tmp_path_factory.mktemp(f"faults-{request.param}")
    proxy = None
    options: dict = {}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'faults.sqlite3'}"
        direct_url = url
        options = {"connect_args": {"timeout": SQLITE_BUSY_SECONDS}}
    else:
        direct_url = create_postgres_database("faults")
        proxy = FaultProxy(direct_url.host or "127.0.0.1", direct_url.port or 5432).start()
        url = direct_url.set(host="127.0.0.1", port=proxy.port).render_as_string(
            hide_password=False)
    config = {
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "EVIDENCE_DIR": str(tmp / "evidence"),
        "IMPORT_DIR": str(tmp / "imports"),
    }
    if options:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app = create_app(config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    direct = sa.create_engine(direct_url)
    yield SimpleNamespace(app=app, backend=request.param, db_proxy=proxy, direct=direct,
                          evidence_dir=Path(config["EVIDENCE_DIR"]))
    with app.app_context():
        db.engine.dispose()
    direct.dispose()
    if proxy is not None:
        proxy.close()
        drop_postgres_database(direct_url)


@pytest.fixture
def app(env):
    """The fault tests' app; after each test its rows are deleted and the proxy restored."""
    from portal.extensions import limiter

    with env.app.app_context():
        limiter.reset()
    yield env.app
    if env.db_proxy is not None:
        env.db_proxy.restore()
    env.app.extensions.pop("evidence_store", None)
    shutil.rmtree(env.evidence_dir, ignore_errors=True)
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    with env.direct.begin() as conn:
        # The audit table refuses deletion by trigger; the clean-up acts as a database
        # administrator would: triggers off (PostgreSQL) or set aside and put back (SQLite).
        if env.backend == "postgresql":
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            conn.exec_driver_sql("TRUNCATE " + ", ".join(f'"{t}"' for t in tables)
                                 + " RESTART IDENTITY CASCADE")
        else:
            triggers = conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").all()
            for name, _ in triggers:
                conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for table in tables:
                conn.exec_driver_sql(f'DELETE FROM "{table}"')
            for _, sql in triggers:
                conn.exec_driver_sql(sql)


@pytest.fixture
def client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    return client


def login(client, username: str) -> None:
    """Log in through the real form (the database must be up)."""
    token = csrf_token(client)
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]


@pytest.fixture
def world(app):
    """Committed: a township with a village, its staff, a doctor, a person with an open case.

    Returns plain ids and names (the ORM objects would outlive their session)."""
    from portal.auth.services import add_membership, create_user
    from portal.cases.models import Case
    from portal.domain import idcard
    from portal.reference.models import Township, Village
    from portal.rosters.models import Person, RosterEntry

    tag = uuid.uuid4().hex[:6]
    with app.app_context():
        township = Township(code=f"f{tag}", name=f"故障乡{tag}", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        village = Village(township_id=township.id, name="一村")
        db.session.add(village)
        db.session.flush()
        staff = create_user(f"staff_{tag}", PASSWORD)
        add_membership(staff, "township_staff", township)
        doctor = create_user(f"doctor_{tag}", PASSWORD)
        add_membership(doctor, "doctor")
        parsed = idcard.parse(idcard.make("533103", date(1958, 3, 7), 421))
        person = Person(township_id=township.id, village_id=village.id, name="赵六",
                        name_pinyin="zhao liu", name_initials="zl", gender=parsed.gender,
                        id_number=parsed.number, id_reversed=parsed.number[::-1],
                        birth_date=parsed.birth_date)
        db.session.add(person)
        db.session.flush()
        entry = RosterEntry(township_id=township.id, person_id=person.id,
                            list_kind="suspected")
        db.session.add(entry)
        db.session.flush()
        case = Case(township_id=township.id, person_id=person.id, kind="issue",
                    path="records", created_by_id=staff.id, doctor_id=doctor.id,
                    roster_entry_id=entry.id)
        db.session.add(case)
        db.session.commit()
        world = SimpleNamespace(township_id=township.id, code=township.code,
                                staff=staff.username, doctor=doctor.username,
                                person_id=person.id, case_id=case.id)
        db.session.remove()
    return world


def case_url(world, suffix: str = "") -> str:
    return f"/t/{world.code}/cases/{world.case_id}{suffix}"


def evidence_url(world, suffix: str = "") -> str:
    return f"/t/{world.code}/evidence/cases/{world.case_id}{suffix}"


def upload(client, world, content, filename: str = "证明.jpg", kind: str = "photo"):
    """Post one file to the case's evidence upload as a browser does (the body streams)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    stream = io.BytesIO(content) if isinstance(content, bytes) else content
    fields = {"csrf_token": csrf_token(client), "kind": kind,
              "file": FileStorage(stream, filename=filename,
                                  content_type="application/octet-stream")}
    body, length, boundary = stream_encode_multipart(fields)
    try:
        return client.post(evidence_url(world, "/upload"), input_stream=body,
                           content_length=length,
                           content_type=f'multipart/form-data; boundary="{boundary}"')
    finally:
        body.close()


def page(response) -> str:
    import html

    return html.unescape(response.get_data(as_text=True))


INVITE_LINK = re.compile(r'id="invite-url"[^>]*value="([^"]+)"')


def guardian_login(client, world) -> None:
    """Log the client in as the applicant's guardian through a staff invite (one visit)."""
    login(client, world.staff)
    url = f"/t/{world.code}/guardian-invites/cases/{world.case_id}"
    response = client.post(url, data={"csrf_token": csrf_token(client), "guardian_name": "李芳",
                                      "relation": "mother", "phone": "13800001234"})
    assert response.status_code == 302, page(response)[:1500]
    link = INVITE_LINK.search(page(client.get(url))).group(1).replace("http://localhost", "")
    client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
    token = csrf_token(client)
    response = client.post(link, data={"once-csrf_token": token, "once-choice": "session"})
    assert response.status_code == 302, page(response)[:1500]


def guardian_send(client, world, source):
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    body, length, boundary = stream_encode_multipart({
        "csrf_token": csrf_token(client), "document": "video",
        "camera": FileStorage(source, filename="手机视频.mp4", content_type="video/mp4")})
    try:
        return client.post(f"/g/cases/{world.case_id}/upload", input_stream=body,
                           content_length=length,
                           content_type=f'multipart/form-data; boundary="{boundary}"')
    finally:
        body.close()


def count(env, sql: str, **params) -> int:
    """A count read directly from the database (not through the proxy or the app)."""
    with env.direct.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def scalar(env, sql: str, **params):
    with env.direct.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one_or_none()
