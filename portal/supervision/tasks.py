"""The monthly supervision report as PDF, a job that ends in a file (portal/jobs/files.py):
the report counts the township's dashboard and every overdue list, then WeasyPrint lays it
out; a job worker does it, not a web worker. The Excel report stays in its request.

The job runs with the asker's city-wide access, checked again when it runs; each download of
the file is audited (`job.file_downloaded`). The report names no person.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.jobs.context import as_page, asker_access
from portal.jobs.files import file_job_kind, write_file
from portal.jobs.runner import JobFailed
from portal.reference.models import Township
from portal.supervision import report

REPORT_PDF = "supervision.report_pdf"


def report_name(township: Township, year: int, month: int, suffix: str) -> str:
    return f"supervision-{township.code}-{year}-{month:02d}.{suffix}"


@file_job_kind(REPORT_PDF, Permission.VIEW_CITY, _l("Monthly supervision report"))
def report_pdf_job(job, progress) -> dict:
    _actor, access = asker_access(job, Permission.VIEW_CITY)
    township = db.session.get(Township, job.args["township_id"])
    if township is None:
        raise JobFailed("missing")
    year, month = int(job.args["year"]), int(job.args["month"])
    progress("counting", 0, 0)
    pages = []

    def write(out) -> int:
        with as_page(access):
            data = report.monthly(access, township, year, month, local_today())
            progress("rendering", 0, 1)
            document = report.pdf_document(data)
            out.write(document.write_pdf())
        progress("rendering", 1, 1)
        pages.append(len(document.pages))
        return len(data.notices)

    result = write_file(job, ".pdf", report_name(township, year, month, "pdf"), write)
    return {**result, "pages": pages[0]}
