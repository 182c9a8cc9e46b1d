"""One world for a module of read-only walks, instead of one per test.

The URL walks (tests/security/test_walk_rules.py, tests/guardian/test_isolation.py) run two
thousand requests against the same two townships; building them for every test was most of
their time. A module that imports these fixtures gets:

- `module_connection`: one connection per module and backend, in an outer transaction that is
  rolled back when the module ends (nothing reaches the database's committed state);
- `world`: the security walk's townships, built once in that transaction;
- `db_session`: each test in a SAVEPOINT of that transaction, rolled back after the test, so a
  test still sees the world exactly as built, whatever the previous test did.

The world's objects are detached (their loaded columns stay readable); a test that needs one
in its own session loads it by id.
"""
from __future__ import annotations

import pytest
from sqlalchemy.orm import scoped_session, sessionmaker

from portal.extensions import db
from tests.conftest import person_maker, township_maker, user_maker
from tests.security.world import build_world


@pytest.fixture(scope="module")
def module_connection(app):
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        try:
            yield connection
        finally:
            outer.rollback()
            connection.close()


def _session_on(connection, original, **options) -> scoped_session:
    return scoped_session(sessionmaker(bind=connection, join_transaction_mode="create_savepoint",
                                       **options),
                          scopefunc=original.registry.scopefunc)


@pytest.fixture(scope="module")
def world(app, module_connection):
    with app.app_context():
        original = db.session
        db.session = _session_on(module_connection, original, expire_on_commit=False)
        try:
            session = db.session
            built = build_world(session, township_maker(session), user_maker(session),
                                person_maker(session))
            session.commit()  # releases the builder's SAVEPOINT into the module's transaction
            session.expunge_all()
        finally:
            db.session.remove()
            db.session = original
    return built


@pytest.fixture
def db_session(app, module_connection):
    with app.app_context():
        test = module_connection.begin_nested()
        original = db.session
        db.session = _session_on(module_connection, original)
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            if test.is_active:
                test.rollback()
