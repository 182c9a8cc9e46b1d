"""Logs never carry personal data: what a database error says about the values it refused.

SQLAlchemy keeps statement values out of its messages (`hide_parameters`, portal/__init__.py);
PostgreSQL itself adds a DETAIL line that quotes them ("Key (id_number)=(5331…) already
exists", "Failing row contains (…)"). This filter replaces such lines before any handler
formats the record.
"""
from __future__ import annotations

import logging
import re

DETAIL = re.compile(r"^(\s*DETAIL:).*$", re.MULTILINE)
HIDDEN = r"\1  [hidden: the values may be personal data]"


def redact(text: str) -> str:
    return DETAIL.sub(HIDDEN, text)


class RedactPersonalData(logging.Filter):
    """Rewrites a record's message and its exception text without the database's DETAIL."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.args:
            record.msg, record.args = record.getMessage(), None
        record.msg = redact(str(record.msg))
        return True
