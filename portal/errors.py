"""Friendly error pages; every handler rolls the session back first.

When the database itself cannot be reached (its server stopped, a connection cut, or SQLite
locked by another writer past its busy timeout) the request's transaction was never committed:
the user gets a 503 page that says so, rendered without touching the database (no current
user, no township: those would need the database again). The engine's `pool_pre_ping`
(portal/config.py) makes the first request after the database returns reconnect instead of
failing on a dead pooled connection.
"""
import sqlalchemy as sa
from flask import Flask, current_app, g, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db
from portal.uow import unit_of_work

# The title and text of each error page (a refusal's own words are in portal/refusals).
ERROR_PAGES = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please go back and try again."),
    ),
    403: (
        _l("Not allowed"),
        _l("Your role does not allow this action. Ask the city office if you need it."),
    ),
    404: (
        _l("Page not found"),
        _l("This page does not exist, or you do not have access to it."),
    ),
    409: (
        _l("Not possible now"),
        _l("This step cannot be taken now. Nothing was saved."),
    ),
    413: (
        _l("File too large"),
        _l("The file is larger than the portal accepts. Split it into smaller files and try again."),
    ),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Please wait a minute."),
    ),
    500: (
        _l("Something went wrong"),
        _l("The portal hit an error. Nothing was saved. Please try again."),
    ),
    503: (
        _l("Temporarily unavailable"),
        _l("A part of the portal cannot be reached just now. Please try again in a few minutes."),
    ),
}
RETRY_AFTER_SECONDS = 30


def _record_refusal(code: int) -> None:
    """Audit a refusal in its own transaction: the session was just rolled back, so the commit
    holds the audit row only. A failure to record must not turn the refusal into a 500."""
    from portal.audit.services import record_refusal

    try:
        with unit_of_work():
            record_refusal(code, g.get("refused"))
    except SQLAlchemyError:
        current_app.logger.exception("could not record the refusal of %s", request.endpoint)


def _render(code: int, message: str | None = None):
    try:
        db.session.rollback()
        # Every 403, and the 404s that hide something the user may not see (another township,
        # a row outside their policy): a plain missing page is no refusal.
        if code == 403 or (code == 404 and g.get("refused")):
            _record_refusal(code)
        title, text = ERROR_PAGES[code]
        body = render_template("errors/error.html", code=code, title=title,
                               text=message or text)
    except sa.exc.SQLAlchemyError as error:
        # The page itself needs the database (the logged-in user, the township), and the
        # database is gone: say that instead.
        if not is_database_unavailable(error):
            raise
        return database_unavailable_page()
    return body, code


def error_page(code: int, message: str | None = None):
    """The portal's error page for `code`, with a message of the caller's (translated)."""
    answer = _render(code, message)
    if len(answer) == 3:  # the database-unavailable page, with its own headers
        return answer
    body, status = answer
    return body, status, {"Retry-After": str(RETRY_AFTER_SECONDS)} if status == 503 else {}


def is_database_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database could not be used just now (not a bug in a query).

    OperationalError covers a stopped server, a cut connection, a refused connection and a
    locked SQLite file; other driver errors count when SQLAlchemy saw a disconnect; a pool
    timeout means every connection is busy.
    """
    if isinstance(error, sa.exc.OperationalError | sa.exc.TimeoutError):
        return True
    return isinstance(error, sa.exc.DBAPIError) and bool(error.connection_invalidated)


def database_unavailable_page():
    """The 503 page shown when the database is unavailable; it needs no database at all."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection is gone; the transaction is gone with it
        current_app.logger.warning("rollback after a database failure failed as well")
    try:
        db.session.remove()
    except Exception:  # noqa: BLE001, S110 - the same dead connection; nothing more to undo
        pass
    locale = str(get_locale() or "")
    body = current_app.jinja_env.get_template("errors/unavailable.html").render(
        lang="en" if locale == "en" else "zh-CN",
        title=_("The database is unavailable"),
        text=_("The portal cannot reach its database just now, so nothing was saved. "
               "Please try again in a few minutes."),
        retry_url=request.full_path.rstrip("?") if request.method == "GET" else None,
    )
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


def register(app: Flask) -> None:
    for code in ERROR_PAGES:
        app.register_error_handler(code, lambda e, code=code: _render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(
            400,
            _("The form has expired or was sent twice. Please reload the page and try again."),
        )

    @app.errorhandler(sa.exc.SQLAlchemyError)
    def database_error(error):
        if not is_database_unavailable(error):
            return unexpected(error)
        # The statement and its parameters (personal data) stay out of the log.
        app.logger.warning("database unavailable on %s %s: %s", request.method,
                           request.path, type(getattr(error, "orig", None) or error).__name__)
        return database_unavailable_page()

    @app.errorhandler(Exception)
    def unexpected(error):
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return error
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        return _render(500)
