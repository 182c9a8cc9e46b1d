"""One unit of work per request, command or job: it commits once at its end or rolls back.

Services change the session and never commit. The factory wraps every view in `view_unit`
(portal/__init__.py): a view that returns normally with a status below 400 commits; an exception,
an error status, or `discard()` (a refusal shown in a form) rolls everything back. CLI commands
and jobs use `with unit_of_work():` the same way.

Work outside the database that must follow the outcome registers with `after_commit` (call the
media service once the session row exists) or `after_rollback` (delete a stored file whose row
was not saved). Nothing else in the portal calls `db.session.commit()`; tests/test_unit_of_work.py
checks that.
"""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app, g, has_app_context

from portal.extensions import db

_HOOKS = "_uow_hooks"


def _hooks() -> dict[str, list[Callable[[], None]]]:
    if not has_app_context():
        return {"commit": [], "rollback": []}
    hooks = g.get(_HOOKS)
    if hooks is None:
        hooks = {"commit": [], "rollback": []}
        setattr(g, _HOOKS, hooks)
    return hooks


def after_commit(fn: Callable[[], None]) -> None:
    """Run `fn` once the unit of work has committed (never if it rolls back)."""
    _hooks()["commit"].append(fn)


def after_commit_once(fn: Callable[[], None]) -> None:
    """`after_commit`, but `fn` runs once however often this unit of work registers it."""
    hooks = _hooks()["commit"]
    if fn not in hooks:
        hooks.append(fn)


def after_rollback(fn: Callable[[], None]) -> None:
    """Run `fn` if the unit of work rolls back (compensate work done outside the database)."""
    _hooks()["rollback"].append(fn)


def discard() -> None:
    """Roll this request's unit of work back at its end, whatever the view returns."""
    g._uow_discard = True


def _run(kind: str) -> None:
    hooks = _hooks()
    todo, hooks["commit"], hooks["rollback"] = hooks[kind], [], []
    for fn in todo:
        try:
            fn()
        except Exception:
            current_app.logger.exception("unit of work: %s hook %s failed", kind,
                                         getattr(fn, "__qualname__", fn))


def commit() -> None:
    """Commit the unit of work and run its after-commit hooks; on failure roll back."""
    try:
        db.session.commit()
    except BaseException:
        rollback()
        raise
    _run("commit")


def rollback() -> None:
    db.session.rollback()
    _run("rollback")


@contextmanager
def unit_of_work() -> Iterator[None]:
    """`with unit_of_work():` commits at the end of the block, or rolls back on an exception."""
    try:
        yield
    except BaseException:
        rollback()
        raise
    commit()


def view_unit(view: Callable) -> Callable:
    """Wrap a view: commit when it answers below 400, roll back otherwise."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        g._uow_discard = False
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except BaseException:
            rollback()
            raise
        if response.status_code >= 400 or g.get("_uow_discard"):
            rollback()
        else:
            commit()
        return response

    run.unit_of_work = True
    return run


def wrap_views(app) -> None:
    """Put every registered view in its own unit of work (called once by the factory)."""
    for endpoint, view in list(app.view_functions.items()):
        if not getattr(view, "unit_of_work", False):
            app.view_functions[endpoint] = view_unit(view)
