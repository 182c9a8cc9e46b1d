"""Rendering the portal's templates inside a job (a PDF's HTML, say).

A job worker has the app but no request: the templates' context (the navigation, the user's
roles, `access`) and Flask-Login's `current_user` need one. `as_page(access)` gives the job a
request of its own when it has none (RQ's work horse) and the asker's access meanwhile; run
inline after a request, it keeps that request and only lends `g.access`.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext

from flask import current_app, g, has_request_context

from portal.tenancy import Access

_UNSET = object()


@contextmanager
def as_page(access: Access):
    """Templates rendered inside see `access` as the page's (and no signed-in user)."""
    outer = nullcontext() if has_request_context() else current_app.test_request_context("/")
    with outer:
        before = g.get("access", _UNSET)
        g.access = access
        try:
            yield
        finally:
            if before is _UNSET:
                g.pop("access", None)
            else:
                g.access = before
