"""`LOG_FORMAT=json`: one JSON object per log line (time, level, logger, message, request id),
for a log collector; personal data stays out as in every format (portal/logs.py)."""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from flask import Flask

from portal.logs import RedactPersonalData
from portal.observability.request_id import RequestIdFilter


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def json_handler() -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactPersonalData())
    return handler


def register(app: Flask) -> None:
    if app.config.get("LOG_FORMAT") != "json":
        return
    handler = json_handler()
    app.logger.handlers[:] = [handler]
    app.logger.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    for name in ("portal", "portal.notices", "gunicorn.error"):
        logger = logging.getLogger(name)
        if name != app.logger.name:
            logger.handlers[:] = [handler]
            logger.propagate = False
