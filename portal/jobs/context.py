"""What a job that works for a person runs as: the asker's access, and a page to render the
portal's templates in (a PDF's HTML, say).

`asker_access(job, permission)`: the person who queued the job and what they may see
city-wide, checked again when the job runs (they may have been switched off, or lost the
permission, while it waited).

A job worker has the app but no request: the templates' context (the navigation, the user's
roles, `access`) and Flask-Login's `current_user` need one. `as_page(access)` gives the job a
request of its own when it has none (RQ's work horse) and the asker's access meanwhile; run
inline after a request, it keeps that request and only lends `g.access`.
"""
from __future__ import annotations

from contextlib import contextmanager, nullcontext

from flask import current_app, g, has_request_context

from portal.auth.models import User
from portal.auth.roles import Permission
from portal.extensions import db
from portal.jobs.runner import JobFailed
from portal.tenancy import Access, access_for

_UNSET = object()


def asker_access(job, permission: Permission) -> tuple[User, Access]:
    """The person who asked and their city-wide access, if they still hold `permission`;
    otherwise the job fails with `missing` and writes nothing."""
    actor = db.session.get(User, job.created_by_id)
    access = access_for(actor, None) if actor is not None and actor.active else None
    if access is None or not access.can(permission):
        raise JobFailed("missing")
    return actor, access


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
