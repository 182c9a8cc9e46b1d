"""Fixtures: the app on each database, a rolled-back transaction per test, factories, login.

The suite always runs on SQLite; when TEST_DATABASE_URL is set it runs on PostgreSQL too
(tests that use the database are parametrised by backend). The schema is built with the
Alembic migrations, so every run also proves `flask db upgrade` on both engines.
"""
from __future__ import annotations

import contextvars
import os
import re
import uuid
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from portal import create_app
from portal.extensions import db

BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])


# Names of the databases this run makes: unique to the run (xdist's run id, shared by its
# workers) and to the worker, so that two runs on one server (two clones, CI beside a developer)
# never drop or write into each other's databases.
RUN_ID = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]


def _admin_engine():
    base = sa.engine.make_url(os.environ["TEST_DATABASE_URL"].replace(
        "postgresql://", "postgresql+psycopg://", 1))
    return base, sa.create_engine(base, isolation_level="AUTOCOMMIT")


def create_postgres_database(label: str) -> sa.engine.URL:
    """A new, empty database on TEST_DATABASE_URL's server, for this run, worker and `label`."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    base, admin = _admin_engine()
    name = f"{base.database}_{RUN_ID}_{worker}_{label}"[:63]
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name)


def drop_postgres_database(url: sa.engine.URL) -> None:
    _, admin = _admin_engine()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(scope="session", params=BACKENDS)
def app(request, tmp_path_factory):
    """One app per database backend, schema built by the migrations."""
    tmp = tmp_path_factory.mktemp(f"portal-{request.param}")
    pg_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'test.sqlite3'}"
    else:
        pg_url = create_postgres_database("app")
        url = pg_url.render_as_string(hide_password=False)
    application = create_app({
        "ENV_NAME": "testing",
        "SQLALCHEMY_DATABASE_URI": url,
        "EVIDENCE_DIR": str(tmp / "evidence"),
        "IMPORT_DIR": str(tmp / "imports"),
    })
    application.config["DB_BACKEND"] = request.param
    with application.app_context():
        upgrade()
    yield application
    with application.app_context():
        db.engine.dispose()
    if pg_url is not None:
        drop_postgres_database(pg_url)


@pytest.fixture
def db_session(app):
    """Each test runs inside one outer transaction that is rolled back at the end."""
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        original = db.session
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
            scopefunc=original.registry.scopefunc,
        )
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            outer.rollback()
            connection.close()


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: its own app context, `g` and
    session (joined to the test's connection), instead of reusing the test's app context."""

    def open(self, *args, **kwargs):
        # Buffered, as a browser reads a whole answer: a file sent from disk (a job's export)
        # is read and its handle closed, whether or not the test reads the body.
        kwargs.setdefault("buffered", True)
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app, db_session):
    from portal.extensions import limiter

    # The login limit counts per address across the session; each test starts afresh
    # (tests/auth exercises the limit itself).
    with app.app_context():
        limiter.reset()
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def english(client):
    """Pages in English, for tests that assert interface messages word for word."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def runner(app, db_session):
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from a rendered page."""
    page = client.get("/auth/login").get_data(as_text=True)
    if "csrf-token" not in page:
        page = client.get("/").get_data(as_text=True)
        if "csrf-token" not in page:
            page = client.get("/", follow_redirects=True).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def post(client):
    """POST with the session's CSRF token added, as a browser submitting a form would."""

    def _post(url, data=None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_token(client))
        return client.post(url, data=data, **kwargs)

    return _post


PASSWORD = "correct-horse-battery-9"
# The authenticator key of factory-made users whose role requires a second factor.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(user=None) -> str:
    import pyotp

    return pyotp.TOTP(TOTP_SECRET).now()


def enrol_test_totp(user) -> None:
    """Mark `user` enrolled with the test key (inside an app context), as if they had
    scanned it: for users of roles that require the second factor."""
    from portal.auth import totp

    user.totp_secret = totp._fernet().encrypt(TOTP_SECRET.encode()).decode()
    user.totp_enabled = True


@pytest.fixture
def login_as(client, db_session):
    """Log the test client in as `user` through the real login form, answering the second
    factor with the test key when the user has one."""

    def _login(user):
        client.post("/auth/logout", data={"csrf_token": csrf_token(client)})
        token = csrf_token(client)
        response = client.post(
            "/auth/login",
            data={"username": user.username, "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        if response.headers["Location"].endswith("/auth/second-factor"):
            # A test may log the same user in twice within one 30-second step. The row, not
            # this (possibly stale) object, holds the step the last login used.
            from sqlalchemy import update

            from portal.auth.models import User

            db_session.execute(update(User).where(User.id == user.id)
                               .values(totp_last_step=None))
            if user in db_session:
                db_session.expire(user)
            response = client.post("/auth/second-factor", data={
                "code": totp_code(), "csrf_token": csrf_token(client)})
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        return user

    return _login


# --- factories: callables, never with a default township -------------------------------

@pytest.fixture
def make_township(db_session):
    return township_maker(db_session)


def township_maker(db_session):
    """`make_township` for any session (a module's shared world is built outside a test)."""
    from portal.reference.models import Township, Village

    counter = iter(range(1, 10_000))

    def _make(code: str | None = None, villages: tuple[str, ...] = ("一村", "二村")):
        n = next(counter)
        township = Township(code=code or f"t{n}", name=f"测试乡{n}", kind="township", position=n)
        db_session.add(township)
        db_session.flush()
        for name in villages:
            db_session.add(Village(township_id=township.id, name=name))
        db_session.flush()
        db_session.refresh(township)
        return township

    return _make


@pytest.fixture
def make_user(db_session):
    return user_maker(db_session)


def user_maker(db_session):
    """`make_user` for any session."""
    from portal.auth.services import add_membership, create_user

    counter = iter(range(1, 10_000))

    def _make(role: str, township=None, villages=None, username: str | None = None):
        from portal.auth import totp

        user = create_user(username or f"user{next(counter)}_{role}", PASSWORD)
        add_membership(user, role, township, villages)
        if totp.requires_totp(user):
            enrol_test_totp(user)  # with the test key that `login_as` answers
        db_session.flush()
        return user

    return _make


@pytest.fixture
def make_person(db_session):
    return person_maker(db_session)


def person_maker(db_session):
    """`make_person` for any session."""
    from portal.domain import idcard
    from portal.rosters.models import Person, RosterEntry

    counter = iter(range(1, 100_000))

    def _make(township, *, name: str = "张三", village=None, list_kind: str | None = "suspected",
              **fields):
        n = next(counter)
        number = fields.pop("id_number", None) or idcard.make(
            "533103", date(1960, 1, 1 + n % 28), n % 1000)
        parsed = idcard.parse(number)
        person = Person(
            township_id=township.id,
            village_id=village.id if village else None,
            name=name,
            name_pinyin=fields.pop("name_pinyin", "zhang san"),
            name_initials=fields.pop("name_initials", "zs"),
            gender=parsed.gender,
            id_number=parsed.number,
            id_reversed=parsed.number[::-1],
            birth_date=parsed.birth_date,
            **fields,
        )
        db_session.add(person)
        db_session.flush()
        if list_kind:
            db_session.add(RosterEntry(township_id=township.id, person_id=person.id,
                                       list_kind=list_kind))
            db_session.flush()
        return person

    return _make
