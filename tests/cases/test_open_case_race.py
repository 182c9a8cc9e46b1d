"""At most one open case per person, kept by the database: two requests racing to open one.

These tests do not run inside the rolled-back test connection: each request of the race has
its own connection and commits, so they use an app on a database of their own (a file on
SQLite, a database created for the test on PostgreSQL), dropped afterwards.
"""
from __future__ import annotations

import re
import threading
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal import create_app
from portal.cases import services
from portal.cases.models import Case
from portal.extensions import db
from tests.conftest import (
    PASSWORD,
    IsolatedClient,
    create_postgres_database,
    drop_postgres_database,
)


@pytest.fixture(autouse=True)
def _english():
    """Replaces the area's English pages fixture, which would open the shared test
    connection: the pages here are in the default language, Chinese."""


@pytest.fixture
def race_app(app, tmp_path):
    """An app like `app` on an empty database of its own, built by the migrations."""
    postgresql = app.config["DB_BACKEND"] == "postgresql"
    if postgresql:
        pg_url = create_postgres_database("race")
        url = pg_url.render_as_string(hide_password=False)
    else:
        url = f"sqlite:///{tmp_path / 'race.sqlite3'}"
    race = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url,
                       "EVIDENCE_DIR": str(tmp_path / "evidence"),
                       "IMPORT_DIR": str(tmp_path / "imports")})
    race.test_client_class = IsolatedClient
    with race.app_context():
        upgrade()
    yield race
    with race.app_context():
        db.engine.dispose()
    if postgresql:
        drop_postgres_database(pg_url)


def _world(race_app):
    """A township, two of its staff and one person on its roster, committed."""
    from portal.auth.services import add_membership, create_user
    from portal.domain import idcard
    from portal.reference.models import Township
    from portal.rosters.models import Person, RosterEntry

    with race_app.app_context():
        township = Township(code="race", name="赛跑乡", kind="township", position=1)
        db.session.add(township)
        db.session.flush()
        staff = []
        for username in ("staff_a", "staff_b"):
            user = create_user(username, PASSWORD)
            add_membership(user, "township_staff", township, None)
            staff.append(username)
        parsed = idcard.parse(idcard.make("533103", date(1960, 3, 4), 11))
        person = Person(township_id=township.id, name="张三", name_pinyin="zhang san",
                        name_initials="zs", gender=parsed.gender, id_number=parsed.number,
                        id_reversed=parsed.number[::-1], birth_date=parsed.birth_date)
        db.session.add(person)
        db.session.flush()
        db.session.add(RosterEntry(township_id=township.id, person_id=person.id,
                                   list_kind="suspected", source="import"))
        db.session.commit()
        return township.code, person.id, staff


def _logged_in(race_app, username):
    client = race_app.test_client()
    token = re.search(r'name="csrf-token" content="([^"]+)"',
                      client.get("/auth/login").get_data(as_text=True)).group(1)
    response = client.post("/auth/login", data={"username": username, "password": PASSWORD,
                                                "csrf_token": token})
    assert response.status_code == 302
    return client


def _new_case_form(client, url):
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    return {"kind": "issue", "path": "video", "note": "", "csrf_token": token}


def test_two_simultaneous_requests_open_exactly_one_case(race_app, monkeypatch):
    code, person_id, staff = _world(race_app)
    url = f"/t/{code}/cases/new/{person_id}"
    clients = [_logged_in(race_app, username) for username in staff]
    forms = [_new_case_form(client, url) for client in clients]

    # Both requests find no open case before either registers one: each waits for the other
    # right after its check (once: a request that tries again checks afresh). On SQLite a
    # request takes the write lock as it begins, so the second cannot even check before the
    # first has committed: the wait gives up and the second check sees the first's case.
    sqlite = race_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    arrived = threading.Barrier(2, timeout=2 if sqlite else 30)
    checked = threading.local()
    original = services.open_case_of

    def open_case_of_then_wait(person_id):
        found = original(person_id)
        if not getattr(checked, "once", False):
            checked.once = True
            try:
                arrived.wait()
            except threading.BrokenBarrierError:
                if not sqlite:
                    raise
        return found

    monkeypatch.setattr(services, "open_case_of", open_case_of_then_wait)
    responses: list = [None, None]
    failures: list = []

    def request(i):
        try:
            responses[i] = clients[i].post(url, data=forms[i])
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    threads = [threading.Thread(target=request, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures and all(not t.is_alive() for t in threads)
    assert sorted(r.status_code for r in responses) == [200, 302]
    refused = next(r for r in responses if r.status_code == 200).get_data(as_text=True)
    assert "此人已有正在办理的申请" in refused
    with race_app.app_context():
        cases = db.session.scalars(select(Case).where(Case.person_id == person_id)).all()
        assert [(c.state, c.kind) for c in cases] == [("registered", "issue")]
        assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_the_database_itself_refuses_a_second_open_case(race_app):
    """Past the service: the partial unique index, on the states the workflow calls open."""
    code, person_id, staff = _world(race_app)
    from portal.auth.models import User
    from portal.reference.models import Township

    with race_app.app_context():
        creator = db.session.scalars(select(User).where(User.username == staff[0])).one()
        township_id = db.session.scalars(select(Township.id).where(Township.code == code)).one()

        def case(state):
            return Case(township_id=township_id, person_id=person_id, kind="issue",
                        path="video", state=state, created_by_id=creator.id)

        # Ended cases do not count, however many: an appeal's old case included.
        db.session.add_all([case(s) for s in ("issued", "withdrawn", "closed", "appealed")])
        db.session.add(case("not_qualified"))
        db.session.commit()
        db.session.add(case("registered"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(Case)) == 5
