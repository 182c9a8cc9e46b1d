"""A dashboard's drill-down list as an Excel file, written by a job (portal/jobs/files.py):
"who is left" runs to tens of thousands of persons in a county of a million.

The job rebuilds the asker's access from their memberships when it runs (a right withdrawn
meanwhile is not used); whether numbers leave in clear was decided when it was asked for.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.auth.models import User
from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.jobs.files import file_job_kind, write_file
from portal.jobs.runner import JobFailed
from portal.reference.models import Township
from portal.tenancy import access_for

LIST_EXPORT = "dashboards.list_export"


@file_job_kind(LIST_EXPORT, Permission.VIEW_PERSONS, _l("Export of a dashboard's list"))
def export_list_job(job, progress) -> dict:
    from portal.dashboards.list_export import drill_down_workbook
    from portal.dashboards.views import list_titles

    actor = db.session.get(User, job.created_by_id)
    township = db.session.get(Township, job.township_id) if job.township_id else None
    access = access_for(actor, township) if actor is not None else None
    if access is None or not access.can(Permission.VIEW_PERSONS):
        raise JobFailed("gone")
    kind, reveal, today = job.args["kind"], bool(job.args["reveal"]), local_today()
    progress("exporting", 0, 0)

    def write(out) -> int:
        rows, data = drill_down_workbook(access, actor, kind, list_titles()[kind], today,
                                         job.args.get("township") or job.township_id, reveal)
        out.write(data.getbuffer())
        return rows

    return write_file(job, ".xlsx", f"{kind}-{today}.xlsx", write, masked=not reveal)
