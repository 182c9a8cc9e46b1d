"""The register of holders: a township's list (masked), a holder added by hand, and the import
of the national database's export (a township's own, or the city's for every township).

An uploaded file is kept under IMPORT_DIR with a random name known only to the uploader's
session (never in a URL), and its check (the preview, a dry run) is queued as a background
job (portal/register/tasks.py `holders.check`); the preview page follows the check of the
session's upload (progress bar, retry, discard) and then shows its report. The confirmation
of a checked file queues its import (`holders.import`: one transaction, the file deleted once
it has committed), whose page shows its progress and outcome and offers a retry if it failed.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    send_file,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select

from portal import uow
from portal.auth.models import User
from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.imports import messages
from portal.imports.reader import Reject
from portal.jobs import services as job_services
from portal.jobs import words as job_words
from portal.jobs.models import Job
from portal.labels import LABELS
from portal.pages import paginate
from portal.reference.models import Township
from portal.refusals import Refused, show_in_form
from portal.register import bp, city_bp, tasks
from portal.register.forms import HolderForm, HolderImportForm
from portal.register.models import HolderEntry
from portal.register.services import add_holder
from portal.rosters.models import Person
from portal.tenancy import current_access, require, scoped

PER_PAGE = 50
PREVIEW_LIMIT = 200
_SESSION_KEY = "holder_import"


def source_label(source: str) -> str:
    return {"national_db": _("National database"), "manual": _("Entered by hand"),
            "handover": _("Handed over by the portal")}.get(source, source)


def holder_context(person: Person) -> dict:
    """What the person page shows of the person's register entry (the caller's access has
    already let it see the person)."""
    entry = db.session.scalars(scoped(select(HolderEntry)).where(
        HolderEntry.person_id == person.id)).first()
    if entry is None:
        return {"holder": None}
    recorded_by = db.session.get(User, entry.recorded_by_id) if entry.recorded_by_id else None
    return {"holder": entry, "holder_source": source_label(entry.source),
            "holder_recorded_by": (recorded_by.display_name or recorded_by.username)
            if recorded_by else ""}


# --- the township's register -------------------------------------------------------------

@bp.route("/")
@login_required
@require(Permission.VIEW_PERSONS)
def list_holders():
    """The township's certificate holders, ID and certificate numbers masked."""
    access = current_access()
    if not access.whole_township:
        abort(403)
    page = paginate(scoped(select(HolderEntry, Person), access)
                    .join(Person, Person.id == HolderEntry.person_id)
                    .order_by(Person.name_pinyin, Person.id), PER_PAGE, rows=True)
    return render_template("register/list.html", rows=page.items, page=page, args={},
                           today=local_today(),
                           source_label=source_label, categories=LABELS["category"],
                           can_add=access.can(Permission.IMPORT_ROSTER))


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def new_holder():
    """Add one certificate holder by hand (on no survey list)."""
    form = HolderForm()
    if form.validate_on_submit():
        try:
            _person, outcome = add_holder(
                g.township, current_user, parsed=form.parsed, name=form.name.data.strip(),
                holding=form.holding(), village_name="".join((form.village.data or "").split()),
                phone=(form.phone.data or "").strip(),
                poverty_registered=form.poverty_registered.data)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("The certificate holder is in the register.") if outcome != "kept" else
                  _("The register already holds a later certificate of this person; it was "
                    "kept."), "success")
            return redirect(url_for("register.list_holders"))
    return render_template("register/new.html", form=form)


# --- importing the national database's export --------------------------------------------

def _staged() -> dict | None:
    staged = session.get(_SESSION_KEY)
    township = g.get("township")
    if not staged or staged.get("township_id") != (township.id if township else None):
        return None
    return staged


def _discard(staged: dict | None) -> None:
    """Forget the staged upload and delete its file and its check's report."""
    if staged:
        tasks.remove_upload(staged["stored"])
    session.pop(_SESSION_KEY, None)


def _endpoint(name: str) -> str:
    return ("register." if g.get("township") else "city_register.") + name


def _upload():
    """Store the file and queue its check (tasks.CHECK); the preview page shows how it goes."""
    form = HolderImportForm()
    if form.validate_on_submit():
        _discard(_staged())
        directory = Path(current_app.config["IMPORT_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        stored = f"holders-{secrets.token_hex(16)}.upload"
        form.file.data.save(directory / stored)
        form.file.data.close()  # a large upload is spooled to a temporary file: free it now
        uow.after_rollback(lambda: tasks.remove_upload(stored))
        original = os.path.basename((form.file.data.filename or "").replace("\\", "/"))[:255]
        township = g.get("township")
        run = tasks.start_check(stored, township, current_user)
        session[_SESSION_KEY] = {"stored": stored, "filename": original, "check": run.id,
                                 "township_id": township.id if township else None}
        return redirect(url_for(_endpoint("preview_import")))
    return render_template("register/import.html", form=form, township=g.get("township"),
                           endpoint=_endpoint)


def _job_of(kind: str, job_id: int) -> Job | None:
    """Job `job_id` of `kind` of the township in the URL (the city's: no township)."""
    township = g.get("township")
    job = db.session.scalars(scoped(select(Job)).where(
        Job.id == job_id, Job.kind == kind,
        Job.township_id == township.id if township else Job.township_id.is_(None))).first()
    if job is not None:
        job_services.reap_if_dead(job)
    return job


def _check_of(staged: dict) -> Job | None:
    """The check of the staged upload (None: an upload staged before checks were jobs)."""
    job = _job_of(tasks.CHECK, staged["check"]) if staged.get("check") else None
    if job is None or job.args.get("stored") != staged["stored"]:
        return None
    return job


def _report_of(staged: dict, run: Job) -> dict | None:
    """The finished check's report of a file that can still be imported, else None."""
    if run.state != "done" or "refused" in (run.result or {}):
        return None
    if not tasks.upload_path(staged["stored"]).is_file():
        return None
    return tasks.read_report(staged["stored"])


def _gone():
    flash(_("This upload can no longer be imported. Upload the file again."), "warning")
    return redirect(url_for(_endpoint("import_holders")))


def _preview():
    """The check's progress while it runs; then what the import would do, or why not."""
    staged = _staged()
    if staged is None:
        return redirect(url_for(_endpoint("import_holders")))
    run = _check_of(staged)
    if run is None:
        _discard(staged)
        return _gone()
    context = {"run": run, "filename": staged["filename"], "form": FlaskForm(),
               "endpoint": _endpoint, "preview_limit": PREVIEW_LIMIT, "error": "",
               "can_retry": False, "counts": None}
    result = run.result or {}
    if run.state == "failed":
        context["error"] = job_words.error_text(run.error)
        context["can_retry"] = tasks.upload_path(staged["stored"]).is_file()
    elif run.state == "done" and "refused" in result:
        context["error"] = messages.file_error_text(result["refused"], result.get("params"))
    elif run.state == "done":
        report = _report_of(staged, run)
        if report is None:
            context["error"] = messages.file_error_text("expired")
        else:
            context.update(
                counts=result, rejects_total=len(report["rejects"]),
                rejects=[(row, messages.column_label(column),
                          messages.reason_text(code, params))
                         for row, column, code, params, _ in report["rejects"][:PREVIEW_LIMIT]],
                notes=[messages.note_text(row, code) for row, code in report["notes"]],
                per_township=[(db.session.get(Township, tid), n)
                              for tid, n in result.get("townships", [])])
    return render_template("register/preview.html", **context)


def _check_progress():
    """The check's progress (JSON); with nothing staged (discarded in another tab) it says
    there is nothing running, and the page reloads to the upload form."""
    staged = _staged()
    run = _check_of(staged) if staged else None
    if run is None:
        return jsonify({"state": "", "active": False, "finished": False, "done": 0,
                        "total": 0, "percent": 0})
    return jsonify(job_services.status(run))


def _check_retry():
    """Check the staged file again after its check failed (the file is still there)."""
    staged = _staged()
    run = _check_of(staged) if staged else None
    if run is None:
        return _gone()
    if FlaskForm().validate_on_submit():
        job_services.retry(run, current_user)
    return redirect(url_for(_endpoint("preview_import")))


def _confirm():
    """Queue the staged file's import (portal/register/tasks.py); its page shows how it goes.
    Only a file whose check has finished with rows to import can be confirmed."""
    staged = _staged()
    if not FlaskForm().validate_on_submit() or staged is None:
        return _gone()
    run = _check_of(staged)
    if run is None:
        _discard(staged)
        return _gone()
    if run.state != "done":
        raise Refused("holder_check_not_done")
    if "refused" in (run.result or {}) or not (run.result or {}).get("rows"):
        raise Refused("holder_nothing_to_import")
    if not tasks.upload_path(staged["stored"]).is_file():
        session.pop(_SESSION_KEY, None)
        return _gone()
    job = tasks.start_import(staged["stored"], staged["filename"], g.get("township"),
                             current_user)
    session.pop(_SESSION_KEY, None)  # the file is the job's now
    return redirect(url_for(_endpoint("import_job"), run_id=job.id))


def _import_job_or_404(job_id: int) -> Job:
    job = _job_of(tasks.KIND, job_id)
    if job is None:
        abort(404)
    return job


def _job_page(job_id: int):
    job = _import_job_or_404(job_id)
    can_retry = job.state == "failed" and tasks.stored_path(job).is_file()
    return render_template("register/import_job.html", run=job, form=FlaskForm(),
                           can_retry=can_retry, endpoint=_endpoint,
                           error=job_words.error_text(job.error) if job.error else "")


def _job_progress(job_id: int):
    return jsonify(job_services.status(_import_job_or_404(job_id)))


def _job_retry(job_id: int):
    job = _import_job_or_404(job_id)
    if FlaskForm().validate_on_submit():
        job_services.retry(job, current_user)
    return redirect(url_for(_endpoint("import_job"), run_id=job.id))


def _rejects():
    """The refused rows of the checked file as .xlsx (row, column, reason, the row's cells)."""
    from io import BytesIO

    from portal.imports.exports import write_rejects_file

    staged = _staged()
    run = _check_of(staged) if staged else None
    report = _report_of(staged, run) if run is not None else None
    if report is None:
        return _gone()
    if not report["rejects"]:
        flash(_("The file has no refused rows."), "info")
        return redirect(url_for(_endpoint("preview_import")))
    rejects = [Reject(row, column, code, params, tuple(values))
               for row, column, code, params, values in report["rejects"]]
    buffer = BytesIO()
    write_rejects_file(buffer, rejects, report["headers"])
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="rejected-rows.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument"
                     ".spreadsheetml.sheet")


def _cancel():
    """Discard the staged upload: its file and its check's report are deleted."""
    if FlaskForm().validate_on_submit() and _staged() is not None:
        _discard(_staged())
        flash(_("The file was discarded; nothing was imported."), "info")
    return redirect(url_for(_endpoint("import_holders")))


@bp.route("/import", methods=["GET", "POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def import_holders():
    """Upload the township's holders as exported from the national database."""
    return _upload()


@bp.route("/import/preview")
@login_required
@require(Permission.IMPORT_ROSTER)
def preview_import():
    """The check's progress, then its report: what the import would do, every row it refuses."""
    return _preview()


@bp.route("/import/preview/progress")
@login_required
@require(Permission.IMPORT_ROSTER)
def preview_progress():
    """How far the check of the staged file has come, for the progress bar (JSON)."""
    return _check_progress()


@bp.route("/import/preview/retry", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def retry_check():
    """Check the staged file again after its check failed."""
    return _check_retry()


@bp.route("/import/confirm", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def confirm_import():
    """Import the previewed file (all or nothing)."""
    return _confirm()


@bp.route("/import/jobs/<int:run_id>")
@login_required
@require(Permission.IMPORT_ROSTER)
def import_job(run_id):
    """How the confirmed import goes: queued, running (a progress bar), done or failed."""
    return _job_page(run_id)


@bp.route("/import/jobs/<int:run_id>/progress")
@login_required
@require(Permission.IMPORT_ROSTER)
def import_job_progress(run_id):
    return _job_progress(run_id)


@bp.route("/import/jobs/<int:run_id>/retry", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def import_job_retry(run_id):
    return _job_retry(run_id)


@bp.route("/import/rejects.xlsx")
@login_required
@require(Permission.IMPORT_ROSTER)
def import_rejects():
    """The rows the checked file would have refused, to correct and upload again."""
    return _rejects()


@bp.route("/import/cancel", methods=["POST"])
@login_required
@require(Permission.IMPORT_ROSTER)
def cancel_import():
    return _cancel()


@city_bp.route("/import", methods=["GET", "POST"], endpoint="import_holders")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_import_holders():
    """Upload the county's holders (every township, by the township column)."""
    return _upload()


@city_bp.route("/import/preview", endpoint="preview_import")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_preview_import():
    return _preview()


@city_bp.route("/import/preview/progress", endpoint="preview_progress")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_preview_progress():
    return _check_progress()


@city_bp.route("/import/preview/retry", methods=["POST"], endpoint="retry_check")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_retry_check():
    return _check_retry()


@city_bp.route("/import/confirm", methods=["POST"], endpoint="confirm_import")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_confirm_import():
    return _confirm()


@city_bp.route("/import/jobs/<int:run_id>", endpoint="import_job")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_import_job(run_id):
    return _job_page(run_id)


@city_bp.route("/import/jobs/<int:run_id>/progress", endpoint="import_job_progress")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_import_job_progress(run_id):
    return _job_progress(run_id)


@city_bp.route("/import/jobs/<int:run_id>/retry", methods=["POST"], endpoint="import_job_retry")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_import_job_retry(run_id):
    return _job_retry(run_id)


@city_bp.route("/import/rejects.xlsx", endpoint="import_rejects")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_import_rejects():
    return _rejects()


@city_bp.route("/import/cancel", methods=["POST"], endpoint="cancel_import")
@login_required
@require(Permission.IMPORT_ROSTER)
def city_cancel_import():
    return _cancel()
