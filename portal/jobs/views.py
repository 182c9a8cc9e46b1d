"""The page of a job that ends in a file (portal/jobs/files.py): its progress, then the
download, or why it failed with "Try again". A township's jobs under /t/<code>/jobs/, the
city's under /city/jobs/; only the person who asked sees the page and the file."""
from __future__ import annotations

from flask import (
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal.audit.services import record_event
from portal.extensions import db
from portal.jobs import files
from portal.jobs import services as job_services
from portal.jobs import words as job_words
from portal.jobs.models import DONE, FAILED, Job
from portal.tenancy import (
    city_blueprint,
    current_access,
    refuse,
    scoped,
    tenant_blueprint,
)

bp = tenant_blueprint("job_files", __name__, "/jobs")
city_bp = city_blueprint("city_job_files", __name__, "/jobs")

MIMETYPES = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".pdf": "application/pdf", ".zip": "application/zip"}


def enqueue_file_job(kind: str, args: dict, *, actor, township_id: int | None,
                     back: str) -> Job:
    """Queue a file job for `actor` (in the caller's unit of work); `back` is the page it was
    asked from. The job writes in the asker's language."""
    job = job_services.enqueue(kind, {**args, "locale": str(get_locale()), "back": back},
                               key=f"file:{kind}:{actor.id}", township_id=township_id,
                               actor=actor)
    return job


def job_url(job: Job) -> str:
    """The job's page, for the redirect after queueing it."""
    if job.township_id is None:
        return url_for("city_job_files.show", file_job_id=job.id)
    return url_for("job_files.show", file_job_id=job.id)


def _job_or_404(job_id: int) -> Job:
    """The user's own file job of this township (or of the city), through the Job policy,
    while the user still holds the kind's permission."""
    access = current_access()
    job = db.session.scalars(scoped(select(Job).where(
        Job.id == job_id, Job.kind.in_(list(files.FILE_KINDS))), access)).first()
    township_id = g.township.id if getattr(g, "township", None) is not None else None
    if (job is None or job.created_by_id != current_user.id or job.township_id != township_id
            or not access.can(files.FILE_KINDS[job.kind].permission)):
        refuse("job")
    job_services.reap_if_dead(job)
    return job


def _endpoint(name: str) -> str:
    return f"{request.blueprint}.{name}"


def _show(file_job_id: int):
    job = _job_or_404(file_job_id)
    stored = files.path_of(job) if job.state == DONE else None
    back = job.args.get("back") or "/"
    return render_template(
        "jobs/file_job.html", run=job, kind=files.FILE_KINDS[job.kind], stored=stored,
        result=job.result or {}, back=back if back.startswith("/") else "/",
        endpoint=_endpoint, form=FlaskForm(),
        error=job_words.error_text(job.error) if job.error else "")


def _progress(file_job_id: int):
    return jsonify(job_services.status(_job_or_404(file_job_id)))


def _download(file_job_id: int):
    job = _job_or_404(file_job_id)
    stored = files.path_of(job) if job.state == DONE else None
    if stored is None:
        abort(404)
    result = job.result or {}
    record_event("job.file_downloaded", actor=current_user, township_id=job.township_id,
                 obj=job, details={"kind": job.kind, "rows": result.get("rows", 0),
                                   "masked": result.get("masked", True)})
    return send_file(stored, as_attachment=True, download_name=result.get("filename", "file"),
                     mimetype=MIMETYPES.get(stored.suffix, "application/octet-stream"))


def _retry(file_job_id: int):
    job = _job_or_404(file_job_id)
    if job.state == FAILED and FlaskForm().validate_on_submit():
        job_services.retry(job, current_user)
    return redirect(url_for(_endpoint("show"), file_job_id=job.id))


for _bp in (bp, city_bp):
    _bp.add_url_rule("/<int:file_job_id>", "show", login_required(_show))
    _bp.add_url_rule("/<int:file_job_id>/progress", "progress", login_required(_progress))
    _bp.add_url_rule("/<int:file_job_id>/file", "download", login_required(_download))
    _bp.add_url_rule("/<int:file_job_id>/retry", "retry", login_required(_retry), methods=["POST"])
