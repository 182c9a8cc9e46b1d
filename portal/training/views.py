"""Training sessions (the health coordinator records them and their results) and the doctor
pool's page (every city role)."""
from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.doctors.services import doctor_users
from portal.extensions import db
from portal.pages import paginate
from portal.refusals import Refused, show_in_form
from portal.tenancy import current_access, require
from portal.training import bp
from portal.training.forms import (
    SessionForm,
    doctor_label,
    result_field_name,
    results_form,
)
from portal.training.models import TrainingAttendee, TrainingSession
from portal.training.pool import certified, needs
from portal.training.services import (
    SessionData,
    attendee_users,
    record_results,
    record_session,
    update_session,
)

PER_PAGE = 25


def _session_or_404(training_id: int) -> TrainingSession:
    session = db.session.get(TrainingSession, training_id)
    if session is None:
        abort(404)
    return session


def _data(form: SessionForm) -> SessionData:
    return SessionData(held_on=form.held_on.data, place=form.place.data or "",
                       trainer=form.trainer.data or "", categories=list(form.categories.data),
                       attendee_ids=list(form.attendees.data), note=form.note.data or "")


@bp.route("")
@login_required
@require(Permission.MANAGE_DOCTORS)
def list_sessions():
    """Training sessions, newest first, with how many attended and passed."""
    stmt = (select(TrainingSession)
            .options(selectinload(TrainingSession.attendees)
                     .selectinload(TrainingAttendee.results))
            .order_by(TrainingSession.held_on.desc(), TrainingSession.id.desc()))
    page = paginate(stmt, PER_PAGE)
    passed = {s.id: sum(1 for a in s.attendees if any(r.passed for r in a.results))
              for s in page.items}
    return render_template("training/list.html", page=page, passed=passed,
                           today=local_today())


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_DOCTORS)
def new_session():
    """Record a training session and the doctors who attended."""
    form = SessionForm(doctor_users())
    if form.validate_on_submit():
        try:
            session = record_session(current_user, _data(form))
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Training session recorded. Record each doctor's results once it is "
                    "held."), "success")
            return redirect(url_for("training.show_session", training_id=session.id))
    return render_template("training/form.html", form=form, session=None), (
        400 if form.errors or form.form_errors else 200)


@bp.route("/<int:training_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_DOCTORS)
def edit_session(training_id: int):
    """Correct a session after the fact (every change is audited)."""
    session = _session_or_404(training_id)
    doctors = doctor_users()
    known = {u.id for u in doctors}
    # A former doctor who attended stays choosable on their own session.
    extra = [u for uid, u in attendee_users(session).items() if uid not in known]
    form = SessionForm(doctors + extra)
    if not form.is_submitted():
        form.held_on.data, form.place.data = session.held_on, session.place
        form.trainer.data, form.note.data = session.trainer, session.note
        form.categories.data = list(session.categories or [])
        form.attendees.data = [a.user_id for a in session.attendees]
    if form.validate_on_submit():
        try:
            changes = update_session(session, current_user, _data(form))
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Training session saved.") if changes else _("Nothing was changed."),
                  "success")
            return redirect(url_for("training.show_session", training_id=session.id))
    return render_template("training/form.html", form=form, session=session), (
        400 if form.errors or form.form_errors else 200)


def _attendee_rows(session: TrainingSession) -> list[dict]:
    users = attendee_users(session)
    return [{"attendee": a, "user": users.get(a.user_id),
             "label": doctor_label(users[a.user_id]) if a.user_id in users else str(a.user_id),
             "fields": [result_field_name(a.user_id, c) for c in session.categories]}
            for a in session.attendees]


@bp.route("/<int:training_id>", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_DOCTORS)
def show_session(training_id: int):
    """A session with its attendees; each one's result per category is recorded here."""
    session = _session_or_404(training_id)
    form = results_form(session)
    if form.validate_on_submit():
        wanted = {(a.user_id, c): (form[result_field_name(a.user_id, c)].data or None)
                  for a in session.attendees for c in session.categories}
        try:
            outcome = record_results(session, current_user, wanted)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Results saved (%(n)s changed).", n=len(outcome.changes)), "success")
            return redirect(url_for("training.show_session", training_id=session.id))
    return render_template("training/show.html", session=session, form=form,
                           rows=_attendee_rows(session), today=local_today()), (
        400 if form.errors or form.form_errors else 200)


@bp.route("/pool")
@login_required
@require(Permission.VIEW_CITY)
def pool():
    """Certified doctors per category and hospital against a year ago, and the coming
    concentrated days short of doctors."""
    today = local_today()
    return render_template("training/pool.html", figures=certified(today),
                           needs=needs(current_access(), today),
                           can_record=current_access().can(Permission.MANAGE_DOCTORS))
