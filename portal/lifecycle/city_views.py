"""City pages of a certificate's life: the requests waiting for the city's decision across
townships, and the import of the civil-affairs list of deceased persons (upload, dry run with
every row's outcome or reason, then all or nothing).

The uploaded file waits in IMPORT_DIR under a random name known only to the uploader's session
(never in a URL) and is deleted once imported or cancelled."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import current_app, flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.lifecycle import city_bp
from portal.lifecycle.deaths import apply_deaths, plan_deaths, read_list
from portal.lifecycle.forms import DeathListForm
from portal.lifecycle.models import CertificateRequest
from portal.lifecycle.views import render
from portal.pages import paginate
from portal.reference.models import Township
from portal.refusals import Refused, message, show_in_form
from portal.tenancy import current_access, require, scoped
from portal.uow import after_commit

PER_PAGE = 50
PREVIEW_LIMIT = 500
_SESSION_KEY = "death_list_import"


@city_bp.route("/")
@login_required
@require(Permission.VIEW_CASES)
def queue():
    """Requests sent by the townships and waiting for the city's decision, oldest first."""
    page = paginate(scoped(select(CertificateRequest))
                    .where(CertificateRequest.state == "submitted")
                    .options(selectinload(CertificateRequest.person))
                    .order_by(CertificateRequest.checked_at, CertificateRequest.id), PER_PAGE)
    townships = {t.id: t for t in db.session.scalars(select(Township))}
    return render("lifecycle/queue.html", page=page, townships=townships, args={})


def _staged() -> dict | None:
    return session.get(_SESSION_KEY)


def _path(staged: dict) -> Path:
    return Path(current_app.config["IMPORT_DIR"]) / staged["stored"]


def _discard(staged: dict | None) -> None:
    if staged:
        _path(staged).unlink(missing_ok=True)
    session.pop(_SESSION_KEY, None)


@city_bp.route("/deaths", methods=["GET", "POST"])
@login_required
@require(Permission.APPROVE_CASES)
def import_deaths():
    """Upload the civil-affairs list of deceased persons (.xlsx or .csv)."""
    form = DeathListForm()
    if form.validate_on_submit():
        _discard(_staged())
        directory = Path(current_app.config["IMPORT_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        stored = f"deaths-{secrets.token_hex(16)}.upload"
        form.file.data.save(directory / stored)
        original = os.path.basename((form.file.data.filename or "").replace("\\", "/"))[:255]
        session[_SESSION_KEY] = {"stored": stored, "filename": original}
        return redirect(url_for("city_lifecycle.preview_deaths"))
    return render("lifecycle/deaths_upload.html", form=form)


def _plan(staged: dict):
    rows = read_list(_path(staged), max_rows=current_app.config["ROSTER_MAX_ROWS"])
    return plan_deaths(rows, current_access(), local_today())


@city_bp.route("/deaths/preview")
@login_required
@require(Permission.APPROVE_CASES)
def preview_deaths():
    """The dry run: every row's outcome, or the reason it is refused; nothing is saved."""
    staged = _staged()
    if staged is None or not _path(staged).is_file():
        return redirect(url_for("city_lifecycle.import_deaths"))
    form = DeathListForm()
    try:
        plan = _plan(staged)
    except Refused as refusal:
        _discard(staged)
        show_in_form(form, refusal, default_field="file")
        return render("lifecycle/deaths_upload.html", form=form), 400
    problems = [(row, [message(code, **params) for code, params in row.problems])
                for row in plan.refused[:PREVIEW_LIMIT]]
    return render("lifecycle/deaths_preview.html", plan=plan, problems=problems,
                  filename=staged["filename"], confirm=FlaskForm(), limit=PREVIEW_LIMIT)


@city_bp.route("/deaths/confirm", methods=["POST"])
@login_required
@require(Permission.APPROVE_CASES)
def confirm_deaths():
    """Import the previewed list: every death recorded, or nothing."""
    staged = _staged()
    if not FlaskForm().validate_on_submit() or staged is None or not _path(staged).is_file():
        raise Refused("life_deaths_upload_gone")
    counts = apply_deaths(_plan(staged), current_user, current_access(), today=local_today())
    after_commit(lambda: _path(staged).unlink(missing_ok=True))
    session.pop(_SESSION_KEY, None)
    flash(_("The list is imported: %(cancel)s certificates cancelled, %(deceased)s persons "
            "without a certificate recorded as deceased, %(already)s already recorded, "
            "%(unknown)s not in the portal.", cancel=counts.get("cancel", 0),
            deceased=counts.get("deceased", 0), already=counts.get("already", 0),
            unknown=counts.get("unknown", 0)), "success")
    return redirect(url_for("city_lifecycle.queue"))


@city_bp.route("/deaths/cancel", methods=["POST"])
@login_required
@require(Permission.APPROVE_CASES)
def cancel_deaths():
    """Discard the uploaded list."""
    if FlaskForm().validate_on_submit():
        _discard(_staged())
    return redirect(url_for("city_lifecycle.import_deaths"))
