"""One way to say no: `Refused`, the catalogue of its words, and the handler that shows them.

A service that will not do what it was asked raises `Refused(code)`; the code names a message
in `portal/refusals/catalogue.py`, the one catalogue of refusal words (English msgids, through
Flask-Babel). A refusal may name the form field it belongs to (`field`) and values its message
quotes (`params`, e.g. the date a rule opens again).

A view either lets the refusal go, and the handler registered here answers (JSON for a JSON
request, a flash and a way back for a form post, an error page otherwise), or catches it to
show the message next to the field (`show_in_form`). Either way the request's unit of work rolls
back (portal/uow.py): nothing of a refused request is saved.
"""
from __future__ import annotations

from flask import Flask, flash, jsonify, redirect, request

from portal.refusals.catalogue import CATALOGUE


class Refused(Exception):
    """A refused step; `code` is a key of `CATALOGUE`, `field` the form field it concerns."""

    status = 409

    def __init__(self, code: str, /, field: str | None = None, status: int | None = None,
                 **params):
        if code not in CATALOGUE:
            raise KeyError(f"refusal code {code!r} is not in portal/refusals/catalogue.py")
        super().__init__(code)
        self.code = code
        self.field = field
        self.params = params
        if status is not None:
            self.status = status

    @property
    def message(self) -> str:
        return message(self.code, **self.params)

    def __str__(self) -> str:
        return self.code


def message(code: str, /, **params) -> str:
    """The translated words for `code`, with `params` filled in (a param may be called
    "code" too: the words may quote another code)."""
    text = str(CATALOGUE[code])
    return text % params if params else text


def show_in_form(form, refusal: Refused, default_field: str | None = None) -> None:
    """Put the refusal's words next to its field in `form` (or the form's top when it names no
    field the form has) and let the request's unit of work roll back."""
    from portal.uow import discard

    discard()
    name = refusal.field or default_field
    field = getattr(form, name, None) if name else None
    if field is not None and hasattr(field, "errors"):
        if not isinstance(field.errors, list):
            field.errors = list(field.errors)
        field.errors.append(refusal.message)
    else:
        form.form_errors.append(refusal.message)


def _wants_json() -> bool:
    if request.is_json:
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def register(app: Flask) -> None:
    from portal.errors import error_page
    from portal.redirects import local_path

    @app.errorhandler(Refused)
    def refused(refusal: Refused):
        # The unit of work has already rolled the request back (portal/uow.py).
        if _wants_json():
            return jsonify(error=refusal.code, message=refusal.message), refusal.status
        back = local_path(request.referrer and _path_of(request.referrer))
        if request.method != "GET" and back:
            flash(refusal.message, "danger")
            return redirect(back, 303)
        return error_page(refusal.status, refusal.message)


def _path_of(url: str) -> str | None:
    """The path and query of `url` when it points at this site."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
