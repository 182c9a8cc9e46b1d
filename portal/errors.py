"""Friendly error pages; every handler rolls the session back first."""
from flask import Flask, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import SQLAlchemyError

from portal.extensions import db

MESSAGES = {
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
}


def _record_refusal(code: int) -> None:
    """Audit a 403 in its own transaction: the session was just rolled back, so the commit
    holds the audit row only. A failure to record must not turn the refusal into a 500."""
    from portal.audit.services import record_refusal

    try:
        record_refusal(code)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("could not record the refusal of %s", request.endpoint)


def _render(code: int, message: str | None = None):
    db.session.rollback()
    if code == 403:
        _record_refusal(code)
    title, text = MESSAGES[code]
    body = render_template("errors/error.html", code=code, title=title, text=message or text)
    return body, code


def register(app: Flask) -> None:
    for code in MESSAGES:
        app.register_error_handler(code, lambda e, code=code: _render(code))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(
            400,
            _("The form has expired or was sent twice. Please reload the page and try again."),
        )

    @app.errorhandler(Exception)
    def unexpected(error):
        from werkzeug.exceptions import HTTPException

        if isinstance(error, HTTPException):
            return error
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        if app.config.get("PROPAGATE_EXCEPTIONS"):
            raise error
        return _render(500)
