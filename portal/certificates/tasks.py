"""The data sheets of a print batch as a job that ends in a file (portal/jobs/files.py): one
A4 page per valid certificate, laid out by WeasyPrint, which takes seconds for a batch of a
few hundred; a job worker does it, not a web worker. The sheet of one certificate stays in
its request (`certificates.certificate_sheet`, one page).

A sheet prints the certificate number, which holds the whole ID number: the job audits the
batch's sheets (`certificate.sheets_pdf`) and each person's ID as revealed to the asker
(`person.reveal`, via `certificate_sheet`), as the request did; each download of the file is
audited too (`job.file_downloaded`).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.certificates.models import PrintBatch
from portal.certificates.pdf import data_sheets_pdf
from portal.extensions import db
from portal.jobs.context import as_page, asker_access
from portal.jobs.files import file_job_kind, write_file
from portal.jobs.runner import JobFailed
from portal.rosters.services import reveal_personal_data
from portal.tenancy import scoped

BATCH_SHEETS = "certificates.batch_sheets"


@file_job_kind(BATCH_SHEETS, Permission.APPROVE_CASES, _l("Data sheets of a print batch"))
def batch_sheets_job(job, progress) -> dict:
    actor, access = asker_access(job, Permission.APPROVE_CASES)
    batch = db.session.scalars(scoped(
        select(PrintBatch).where(PrintBatch.id == job.args["batch_id"]), access)).first()
    if batch is None:
        raise JobFailed("missing")
    certificates = [c for c in batch.certificates if c.status == "valid"]
    record_event("certificate.sheets_pdf", actor=actor, obj=batch,
                 details={"certificates": len(certificates)})
    for certificate in certificates:
        reveal_personal_data(certificate.person, actor, ["id_number"], via="certificate_sheet")
    progress("rendering", 0, len(certificates))

    def write(out) -> int:
        with as_page(access):
            out.write(data_sheets_pdf(
                certificates, lambda done, total: progress("rendering", done, total)))
        return len(certificates)

    # One page per sheet (an empty batch: one blank page).
    return write_file(job, ".pdf", f"batch-{batch.id}.pdf", write, masked=False,
                      pages=max(1, len(certificates)))
