"""Row-level security on PostgreSQL (portal/rls.py): the second wall around a township's rows.

The suite connects as a superuser, whom PostgreSQL never binds; these tests switch to an
ordinary role inside the test's transaction (rolled back with it), as production connects.
"""
from __future__ import annotations

import secrets

import pytest
import sqlalchemy.exc
from sqlalchemy import select, text

from portal.access import POLICIES
from portal.extensions import db
from portal.rls import across_townships, narrow_to_township
from portal.rosters.models import Person


@pytest.fixture
def postgresql(app, db_session):
    if app.config["DB_BACKEND"] != "postgresql":
        pytest.skip("row-level security exists on PostgreSQL only")
    return db_session


@pytest.fixture
def portal_role(postgresql):
    """An ordinary role with the portal's privileges, made for this test only."""
    name = f"portal_probe_{secrets.token_hex(6)}"
    postgresql.execute(text(f"CREATE ROLE {name} NOLOGIN"))
    postgresql.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}"))
    postgresql.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {name}"))
    postgresql.execute(text(f"GRANT TEMPORARY ON DATABASE "
                            f"{postgresql.get_bind().engine.url.database} TO {name}"))
    yield name
    try:
        postgresql.execute(text("RESET ROLE"))
    except sqlalchemy.exc.DBAPIError:
        pass  # the test's transaction failed; its rollback ends the role as well


@pytest.fixture
def two_townships(postgresql, make_township, make_person):
    a, b = make_township(), make_township()
    for township in (a, b):
        make_person(township, village=township.villages[0])
    return a, b


def _townships_seen(session, table: str = "persons") -> set[int]:
    return set(session.execute(text(f"SELECT DISTINCT township_id FROM {table}")).scalars())


def _settings(session, township: str, everywhere: str) -> None:
    session.execute(text("SELECT set_config('app.township_id', :t, true), "
                         "set_config('app.all_townships', :e, true)"),
                    {"t": township, "e": everywhere})


def test_every_tenant_table_is_forced_under_a_policy(postgresql):
    tables = sorted(m.__table__.name for m, p in POLICIES.items() if p.tenant)
    rows = postgresql.execute(text(
        "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity, "
        "(SELECT count(*) FROM pg_policies p WHERE p.tablename = c.relname) "
        "FROM pg_class c WHERE c.relname = ANY(:tables) AND c.relkind = 'r'"),
        {"tables": tables}).all()
    state = {name: (enabled, forced, policies) for name, enabled, forced, policies in rows}
    missing = [t for t in tables if state.get(t, (False, False, 0)) != (True, True, 1)]
    assert not missing, f"tables without a forced row-level policy: {missing}"


def test_raw_sql_as_the_portal_role_sees_only_the_set_township(postgresql, portal_role,
                                                                two_townships):
    a, b = two_townships
    postgresql.execute(text(f"SET ROLE {portal_role}"))
    _settings(postgresql, str(a.id), "off")
    assert _townships_seen(postgresql) == {a.id}
    assert _townships_seen(postgresql, "villages") == {a.id}
    assert _townships_seen(postgresql, "roster_entries") == {a.id}
    _settings(postgresql, "", "")
    assert _townships_seen(postgresql) == set(), "no setting must show nothing"
    _settings(postgresql, "", "on")
    assert {a.id, b.id} <= _townships_seen(postgresql)


def test_the_portal_role_cannot_write_into_another_township(app, postgresql, portal_role,
                                                            two_townships):
    a, b = two_townships
    postgresql.execute(text(f"SET ROLE {portal_role}"))
    with app.test_request_context("/"):
        narrow_to_township(db.session, a.id)
        with (pytest.raises(sqlalchemy.exc.ProgrammingError, match="row-level security"),
              db.session.begin_nested()):
            db.session.execute(text(
                "INSERT INTO villages (township_id, name) VALUES (:t, 'X')"), {"t": b.id})
        moved = db.session.execute(text("UPDATE persons SET township_id = township_id "
                                        "WHERE township_id = :t"), {"t": b.id})
        assert moved.rowcount == 0


def test_a_township_request_narrows_even_an_unscoped_query(app, postgresql, portal_role,
                                                           two_townships):
    a, _ = two_townships
    postgresql.execute(text(f"SET ROLE {portal_role}"))
    with app.test_request_context("/"):
        narrow_to_township(db.session, a.id)
        forgotten = set(db.session.scalars(select(Person.township_id)))
        assert forgotten == {a.id}
        with across_townships(db.session.connection()):
            assert len(set(db.session.scalars(select(Person.township_id)))) >= 2
        assert set(db.session.scalars(select(Person.township_id))) == {a.id}


def test_an_import_writes_under_the_policy(app, postgresql, portal_role, two_townships,
                                           make_user, tmp_path):
    """PostgreSQL refuses COPY FROM into a table under row-level security: the import stages
    its rows and moves them with one INSERT, checked by the policy."""
    from portal.imports import bulk
    from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book

    a, _ = two_townships
    staff = make_user("township_staff", a)
    book = write_book(tmp_path / "list.xlsx", [["名单"], SUSPECTED_HEADER]
                      + suspected_rows(5, village=a.villages[0].name))
    postgresql.execute(text(f"SET ROLE {portal_role}"))
    with app.test_request_context("/"):
        narrow_to_township(db.session, a.id)
        result = bulk.import_file(a, staff, book, "suspected", max_rows=1000)
        assert (result.imported, result.rejected) == (5, 0)
        assert _townships_seen(db.session) == {a.id}
