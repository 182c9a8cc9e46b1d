"""The roster exports as jobs that end in a file (portal/jobs/files.py): a township's list in
its attachment's format, and the city's workbook (a summary, then a sheet per township). A
county's list runs to tens of thousands of rows: written by a job worker, not in a request.

Whether ID numbers and phones leave in clear is decided when the export is asked for (the
asker's REVEAL_PERSONAL_DATA permission) and kept in the job's arguments as a yes or no; the
export itself is audited as before (`roster.exported`, `roster.exported_city`), and so is
each download of the file (`job.file_downloaded`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.auth.models import User
from portal.auth.roles import Permission
from portal.extensions import db
from portal.imports import exports
from portal.imports.columns import TITLES
from portal.jobs.files import file_job_kind, write_file
from portal.jobs.runner import JobFailed
from portal.reference.models import Township

TOWNSHIP_EXPORT, CITY_EXPORT = "roster.export", "roster.export_city"


def _actor(job) -> User:
    actor = db.session.get(User, job.created_by_id)
    if actor is None:
        raise JobFailed("gone")
    return actor


@file_job_kind(TOWNSHIP_EXPORT, Permission.EXPORT_ROSTER, _l("Export of a township's list"))
def export_township_job(job, progress) -> dict:
    township = db.session.get(Township, job.township_id)
    if township is None:
        raise JobFailed("gone")
    actor, list_kind, reveal = _actor(job), job.args["list_kind"], bool(job.args["reveal"])
    progress("exporting", 0, 0)
    return write_file(job, ".xlsx", f"{township.name}{TITLES[list_kind]}.xlsx",
                      lambda out: exports.export_township(township, actor, list_kind, out,
                                                          reveal=reveal),
                      masked=not reveal)


@file_job_kind(CITY_EXPORT, Permission.EXPORT_ROSTER, _l("Export of the city's list"))
def export_city_job(job, progress) -> dict:
    actor, list_kind, reveal = _actor(job), job.args["list_kind"], bool(job.args["reveal"])
    progress("exporting", 0, 0)
    return write_file(job, ".xlsx", f"{TITLES[list_kind]}.xlsx",
                      lambda out: exports.export_city(actor, list_kind, out, reveal=reveal),
                      masked=not reveal)
