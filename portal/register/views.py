"""The register of holders: a township's list (masked), a holder added by hand, and the import
of the national database's export (a township's own, or the city's for every township).

An uploaded file is kept under IMPORT_DIR with a random name known only to the uploader's
session (never in a URL); the preview is a dry run of it; the confirmation queues its import
as a background job (portal/register/tasks.py: one transaction, the file deleted once it has
committed), whose page shows its progress and outcome and offers a retry if it failed.
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

from portal.auth.models import User
from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.imports import messages
from portal.imports.reader import WorkbookError
from portal.jobs import services as job_services
from portal.jobs import words as job_words
from portal.jobs.models import Job
from portal.labels import LABELS
from portal.pages import paginate
from portal.refusals import Refused, show_in_form
from portal.register import bp, city_bp, tasks
from portal.register.forms import HolderForm, HolderImportForm
from portal.register.importer import plan_holders, read_holders
from portal.register.models import HolderEntry
from portal.register.services import add_holder
from portal.rosters.models import Person
from portal.tenancy import current_access, require, scoped
from portal.uow import discard

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


def _staged_path(staged: dict) -> Path:
    return Path(current_app.config["IMPORT_DIR"]) / staged["stored"]


def _discard(staged: dict | None) -> None:
    if staged:
        try:
            _staged_path(staged).unlink()
        except FileNotFoundError:
            pass
    session.pop(_SESSION_KEY, None)


def _endpoint(name: str) -> str:
    return ("register." if g.get("township") else "city_register.") + name


def _upload():
    form = HolderImportForm()
    if form.validate_on_submit():
        _discard(_staged())
        directory = Path(current_app.config["IMPORT_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        stored = f"holders-{secrets.token_hex(16)}.upload"
        form.file.data.save(directory / stored)
        original = os.path.basename((form.file.data.filename or "").replace("\\", "/"))[:255]
        township = g.get("township")
        session[_SESSION_KEY] = {"stored": stored, "filename": original,
                                 "township_id": township.id if township else None}
        return redirect(url_for(_endpoint("preview_import")))
    return render_template("register/import.html", form=form, township=g.get("township"),
                           endpoint=_endpoint)


def _plan(staged: dict):
    """Read and plan the staged file (nothing is written); (plan, None) or (None, error)."""
    try:
        parsed = read_holders(_staged_path(staged),
                              max_rows=current_app.config["ROSTER_MAX_ROWS"])
    except WorkbookError as exc:
        return None, messages.file_error_text(exc.code, exc.params)
    except FileNotFoundError:
        return None, messages.file_error_text("expired")
    return plan_holders(parsed, g.get("township")), None


def _preview():
    staged = _staged()
    if staged is None:
        return redirect(url_for(_endpoint("import_holders")))
    plan, error = _plan(staged)
    if error:
        _discard(staged)
    rejects = [(r.row, messages.column_label(r.column), messages.reason_text(r.code, r.params))
               for r in (plan.rejects if plan else [])[:PREVIEW_LIMIT]]
    notes = [messages.note_text(row, code) for row, code in (plan.notes if plan else [])]
    html = render_template("register/preview.html", plan=plan, error=error, rejects=rejects,
                           notes=notes, filename=staged["filename"], form=FlaskForm(),
                           preview_limit=PREVIEW_LIMIT, endpoint=_endpoint)
    discard()  # a dry run: nothing it touched is kept
    return html


def _confirm():
    """Queue the staged file's import (portal/register/tasks.py); its page shows how it goes."""
    staged = _staged()
    if not FlaskForm().validate_on_submit() or staged is None:
        flash(_("This upload can no longer be imported. Upload the file again."), "warning")
        return redirect(url_for(_endpoint("import_holders")))
    job = tasks.start_import(staged["stored"], staged["filename"], g.get("township"),
                             current_user)
    session.pop(_SESSION_KEY, None)  # the file is the job's now
    return redirect(url_for(_endpoint("import_job"), run_id=job.id))


def _import_job_or_404(job_id: int) -> Job:
    township = g.get("township")
    job = db.session.scalars(scoped(select(Job)).where(
        Job.id == job_id, Job.kind == tasks.KIND,
        Job.township_id == township.id if township else Job.township_id.is_(None))).first()
    if job is None:
        abort(404)
    job_services.reap_if_dead(job)
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
    """The refused rows of the staged file as .xlsx (row, column, reason, the row's cells)."""
    from io import BytesIO

    from portal.imports.exports import write_rejects_file

    staged = _staged()
    if staged is None:
        flash(_("This upload can no longer be imported. Upload the file again."), "warning")
        return redirect(url_for(_endpoint("import_holders")))
    plan, error = _plan(staged)
    discard()  # a dry run: nothing it touched is kept
    if error or not plan.rejects:
        flash(error or _("The file has no refused rows."), "info")
        return redirect(url_for(_endpoint("import_holders")))
    buffer = BytesIO()
    write_rejects_file(buffer, plan.rejects, plan.headers)
    buffer.seek(0)
    return send_file(buffer, as_attachment=True, download_name="rejected-rows.xlsx",
                     mimetype="application/vnd.openxmlformats-officedocument"
                     ".spreadsheetml.sheet")


def _cancel():
    if FlaskForm().validate_on_submit():
        _discard(_staged())
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
    """The dry run's report: what the import would do, and every row it refuses."""
    return _preview()


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
    """The rows the staged file would have refused, to correct and upload again."""
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
