"""Row-level security on PostgreSQL: the database's own wall around a township's rows.

`scoped()` (portal/tenancy.py, with the policies of portal/access.py) is the first wall and
the one every query goes through. This is the second: every tenant table carries a policy
(migration `20261204_c41d5e7a9b10_row_level_security`) that shows a row only when

    app.all_townships = 'on'   or   township_id = app.township_id

two settings this module sets at the start of every transaction, local to it (`set_config(...,
true)`, so that a pooled connection never carries them into another request):

- on a township's page (`/t/<code>/…`), once the township and the user's role there are
  resolved: `app.township_id` = that township, `app.all_townships` = off. A query that forgot
  its township filter then still returns nothing of another township;
- anywhere else (city pages, the workspaces of doctors and guardians, the CLI, jobs): all
  townships, because those places are city-wide or filter by assignment, which `scoped()` does.

With neither setting (a plain `psql` session as the portal's role) a tenant table shows nothing.
The policies bind the portal's database role only when it is not a superuser and not
BYPASSRLS: the tables are FORCE ROW LEVEL SECURITY so that even their owner is bound. SQLite has
no such feature; there `scoped()` is the only wall.
"""
from __future__ import annotations

from contextlib import contextmanager

from flask import g, has_request_context
from sqlalchemy import event, text
from sqlalchemy.orm import Session

SET = text("SELECT set_config('app.township_id', :township, true), "
           "set_config('app.all_townships', :everywhere, true)")


def _values() -> dict[str, str]:
    township_id = g.get("rls_township_id") if has_request_context() else None
    if township_id is None:
        return {"township": "", "everywhere": "on"}
    return {"township": str(township_id), "everywhere": "off"}


def _apply(connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(SET, _values())


@event.listens_for(Session, "after_begin")
def _on_begin(session, transaction, connection) -> None:
    """Each transaction starts with the settings of where the request stands."""
    _apply(connection)


def narrow_to_township(session, township_id: int) -> None:
    """From now on in this request, the database shows only `township_id`'s rows (`session`
    is the scoped session, `db.session`)."""
    g.rls_township_id = township_id
    if session().in_transaction():
        _apply(session.connection())


@contextmanager
def across_townships(connection):
    """A deliberate read of every township inside a township's request (an ID number exists
    once per deployment, so its uniqueness is checked everywhere); the settings it found are
    put back after it, whichever thread runs it."""
    if connection.dialect.name != "postgresql":
        yield
        return
    township, everywhere = connection.execute(text(
        "SELECT current_setting('app.township_id', true), "
        "current_setting('app.all_townships', true)")).one()
    connection.execute(text("SELECT set_config('app.all_townships', 'on', true)"))
    try:
        yield
    finally:
        connection.execute(SET, {"township": township or "", "everywhere": everywhere or ""})
