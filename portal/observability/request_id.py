"""One id per request: taken from the proxy's X-Request-Id when it is a plain token, else made
here; answered in the response, written in every log line, and passed on to the media service
and to jobs so that one user action can be followed across processes."""
from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, has_request_context, request

HEADER = "X-Request-Id"
_TOKEN = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def current() -> str:
    """The current request's id ("-" outside a request; a job sets its own, see jobs)."""
    if has_request_context():
        return g.get("request_id") or "-"
    return _outside.get("id", "-")


_outside: dict[str, str] = {}


def set_outside(value: str | None) -> None:
    """A command or job carries the id of the request that started it."""
    if value:
        _outside["id"] = value
    else:
        _outside.pop("id", None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current()
        return True


def register(app: Flask) -> None:
    @app.before_request
    def _take_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if _TOKEN.match(given) else uuid.uuid4().hex

    @app.after_request
    def _answer_id(response):
        if g.get("request_id"):
            response.headers[HEADER] = g.request_id
        return response

    app.logger.addFilter(RequestIdFilter())
