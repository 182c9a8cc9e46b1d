"""Roster import (upload → preview → confirm) and the Excel downloads of both lists."""
from io import BytesIO

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal import uow
from portal.auth.roles import Permission
from portal.extensions import db
from portal.imports import (
    bp,
    city_bp,
    columns,
    export_jobs,
    exports,
    messages,
    tasks,
    uploads,
    writer,
)
from portal.imports.forms import CancelForm, ConfirmForm, UploadForm
from portal.jobs import services as job_services
from portal.jobs import words as job_words
from portal.jobs.views import enqueue_file_job, job_url
from portal.rosters.models import ImportJob
from portal.tenancy import current_access, require, scoped

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RUNNING = ("uploaded", "parsing", "importing")  # an upload whose job has not ended
PREVIEW_LIMIT = 1000


def _list_kind_or_404(list_kind: str) -> str:
    if list_kind not in columns.LIST_KINDS:
        abort(404)
    return list_kind


def _job_or_404(token: str) -> ImportJob:
    job = db.session.execute(
        scoped(select(ImportJob).where(ImportJob.token == token))
    ).scalar_one_or_none()
    if job is None:
        abort(404)
    return job


def _xlsx(buffer: BytesIO, name: str):
    buffer.seek(0)
    return send_file(buffer, mimetype=XLSX, as_attachment=True, download_name=name)


@bp.route("/", methods=["GET", "POST"])
@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def new_import():
    """Upload form: list kind and file, with the blank templates to download."""
    form = UploadForm()
    if form.validate_on_submit():
        upload = uploads.create_job(g.township, current_user, form.list_kind.data,
                                    form.file.data, current_app.config["IMPORT_DIR"])
        tasks.start_parse(upload, current_user)
        return redirect(url_for("imports.show_job", token=upload.token))
    return render_template("imports/new.html", form=form)


@bp.route("/jobs/<token>")
@login_required
@require(Permission.IMPORT_ROSTER)
def show_job(token):
    """Progress, preview (counts and rejected rows), or the outcome of one upload."""
    upload = _job_or_404(token)
    job = _latest_job(upload)
    rejects = [
        (row, messages.column_label(column), messages.reason_text(code, params))
        for row, column, code, params in (upload.rejects or [])[:PREVIEW_LIMIT]
    ]
    notes = [messages.note_text(row, code) for row, code in (upload.notes or [])[:PREVIEW_LIMIT]]
    error = messages.file_error_text(upload.error, upload.error_params) if upload.error else ""
    if job is not None and job.state == "failed" and job.error:
        error = job_words.error_text(job.error)
    return render_template(
        "imports/job.html", job=upload, run=job, rejects=rejects, notes=notes, error=error,
        running=upload.status in RUNNING, retry_form=CancelForm(),
        can_retry=upload.status == "failed" and job is not None and job.state == "failed"
        and uploads.job_path(current_app.config["IMPORT_DIR"], upload).is_file(),
        preview_limit=PREVIEW_LIMIT, confirm_form=ConfirmForm(), cancel_form=CancelForm(),
    )


def _latest_job(upload: ImportJob):
    """The upload's latest job; an upload left running by a version of the portal without
    jobs (no job will ever finish it) is failed, so that it can be uploaded again."""
    job = tasks.latest_job(upload)
    if job is None and upload.status in RUNNING:
        upload.status, upload.error = "failed", "failed"
    return job


@bp.route("/jobs/<token>/progress")
@login_required
@require(Permission.IMPORT_ROSTER)
def job_progress(token):
    """How far the upload's job has come, for the progress bar (JSON)."""
    upload = _job_or_404(token)
    job = _latest_job(upload)
    progress = job_services.status(job) if job is not None else {
        "state": "done", "done": 0, "total": 0, "percent": 0, "active": False}
    return jsonify({**progress, "status": upload.status, "running": upload.status in RUNNING})


@bp.route("/jobs/<token>/confirm", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def confirm_job(token):
    """Import the previewed file's valid rows (all or nothing), as a background job."""
    upload = _job_or_404(token)
    form = ConfirmForm()
    if not form.validate_on_submit() or tasks.start_import(upload, current_user) is None:
        flash(_("This upload can no longer be imported. Upload the file again."), "warning")
    return redirect(url_for("imports.show_job", token=upload.token))


@bp.route("/jobs/<token>/retry", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def retry_job(token):
    """Start a failed check or import of the upload again."""
    upload = _job_or_404(token)
    job = tasks.latest_job(upload)
    if CancelForm().validate_on_submit() and job is not None:
        job_services.retry(job, current_user)
    return redirect(url_for("imports.show_job", token=upload.token))


@bp.route("/jobs/<token>/cancel", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def cancel_job(token):
    """Discard an upload that was not imported; its stored file is deleted."""
    upload = _job_or_404(token)
    form = CancelForm()
    if form.validate_on_submit() and upload.status in ("ready", "unreadable", "failed"):
        import_dir = current_app.config["IMPORT_DIR"]
        uow.after_commit(lambda: uploads.remove_upload(import_dir, upload))
        if upload.status in ("ready", "failed"):
            upload.status = "cancelled"
        flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for("imports.new_import"))


@bp.route("/jobs/<token>/rejects.xlsx")
@login_required
@require(Permission.IMPORT_ROSTER)
def download_rejects(token):
    """The rejected rows of an upload as .xlsx: row, column, reason."""
    job = _job_or_404(token)
    buffer = BytesIO()
    exports.write_rejects_file(buffer, job.rejects or [])
    return _xlsx(buffer, _("rejected-rows-%(id)s.xlsx", id=job.id))


@bp.route("/templates/<list_kind>.xlsx")
@login_required
@require(Permission.IMPORT_ROSTER)
def download_template(list_kind):
    """The blank attachment to fill in."""
    _list_kind_or_404(list_kind)
    buffer = BytesIO()
    writer.write_template(buffer, list_kind)
    return _xlsx(buffer, f"{columns.TITLES[list_kind]}.xlsx")


@bp.route("/export")
@login_required
@require(Permission.EXPORT_ROSTER)
def export_page():
    """Download buttons for the township's two lists."""
    return render_template("imports/export.html", form=FlaskForm())


@bp.route("/export/<list_kind>.xlsx", methods=["POST"])
@login_required
@require(Permission.EXPORT_ROSTER)
def export_list(list_kind):
    """Queue the township's list in its attachment format; its page offers the file."""
    _list_kind_or_404(list_kind)
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = enqueue_file_job(
        export_jobs.TOWNSHIP_EXPORT,
        {"list_kind": list_kind,
         "reveal": current_access().can(Permission.REVEAL_PERSONAL_DATA)},
        actor=current_user, township_id=g.township.id, back=url_for("imports.export_page"))
    return redirect(job_url(job))


@city_bp.route("/")
@login_required
@require(Permission.EXPORT_ROSTER)
def city_export_page():
    """Download buttons for the city workbooks (a sheet per township and a summary)."""
    return render_template("imports/city_export.html", form=FlaskForm())


@city_bp.route("/<list_kind>.xlsx", methods=["POST"])
@login_required
@require(Permission.EXPORT_ROSTER)
def city_export(list_kind):
    """Queue one workbook of a list: a summary sheet, then a sheet per township."""
    _list_kind_or_404(list_kind)
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = enqueue_file_job(
        export_jobs.CITY_EXPORT,
        {"list_kind": list_kind,
         "reveal": current_access().can(Permission.REVEAL_PERSONAL_DATA)},
        actor=current_user, township_id=None, back=url_for("city_exports.city_export_page"))
    return redirect(job_url(job))
