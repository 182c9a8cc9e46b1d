"""A township's organised batches: list, new batch, its persons, attendance, moves, print."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.roles import Permission
from portal.batches import bp
from portal.batches.forms import (
    AddForm,
    BatchForm,
    EditBatchForm,
    MoveForm,
    UnitForm,
    attendance_form,
)
from portal.batches.models import AssessmentBatch, BatchMember
from portal.batches.pages import (
    batch_data,
    batch_list,
    case_label,
    hospitals,
    render_batch,
    render_print,
    unit_rows,
)
from portal.batches.services import (
    add_cases,
    candidates,
    create_batch,
    create_unit,
    later_batches,
    members_of,
    move_member,
    record_attendance,
    units_helping,
    update_batch,
)
from portal.cases.models import Case
from portal.extensions import db
from portal.refusals import Refused, show_in_form
from portal.tenancy import current_access, get_scoped_or_404, require
from portal.uow import rollback


def _forms(batch: AssessmentBatch, members: list[BatchMember]):
    access = current_access()
    add = AddForm([(c.id, case_label(c)) for c in db.session.scalars(candidates(access))],
                  prefix="add")
    absent = [(m.id, case_label(m.case)) for m in members if m.status == "absent"]
    later = [(b.id, f"{format_date(b.held_on, 'long')} · {b.hospital.name}")
             for b in db.session.scalars(later_batches(access, batch))]
    move = MoveForm(absent, later, prefix="move")
    return add, move


def _show(batch: AssessmentBatch, status: int = 200, **forms):
    access = current_access()
    members = members_of(batch, access)
    add, move = _forms(batch, members)
    return render_batch(batch, members, city=False,
                        add=forms.get("add") or add, move=forms.get("move") or move,
                        attendance=forms.get("attendance") or attendance_form(members),
                        can_schedule=access.can(Permission.SCHEDULE)), status


@bp.route("/")
@login_required
@require(Permission.VIEW_CASES)
def list_batches():
    """The batches that take persons of this township, with its own persons on each."""
    return batch_list(city=False)


@bp.route("/units", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CASES)
def units():
    """The assistance units helping this township; the office may register one."""
    form = UnitForm()
    if form.validate_on_submit():
        if not current_access().can(Permission.SCHEDULE):
            return redirect(url_for("batches.units"))
        try:
            create_unit(current_user, name=form.name.data, contact=form.contact.data or "",
                        township_ids=[g.township.id], kept_by=g.township)
        except Refused as refusal:
            show_in_form(form, refusal, "name")
        else:
            flash(_("The assistance unit was registered."), "success")
            return redirect(url_for("batches.units"))
    return render_template("batches/units.html", form=form, rows=unit_rows(),
                           city=False), 422 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.SCHEDULE)
def new_batch():
    """Organise a batch of the township's persons (by the township or a unit helping it)."""
    form = BatchForm(hospitals(), units_helping(current_access()))
    if form.validate_on_submit():
        try:
            batch = create_batch(current_user, current_access(), batch_data(form),
                                 township=g.township)
        except Refused as refusal:
            show_in_form(form, refusal, "organiser")
        else:
            flash(_("The batch was organised. Now add its people."), "success")
            return redirect(url_for("batches.show_batch", assessment_batch_id=batch.id))
    return render_template("batches/form.html", form=form, city=False), (
        422 if form.errors else 200)


@bp.route("/<int:assessment_batch_id>")
@login_required
@require(Permission.VIEW_CASES)
def show_batch(assessment_batch_id: int):
    """One batch: its details, the township's persons on it, attendance and moves."""
    return _show(get_scoped_or_404(AssessmentBatch, assessment_batch_id))


@bp.route("/<int:assessment_batch_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.SCHEDULE)
def edit_batch(assessment_batch_id: int):
    """Change the places, transport, companions, note or status of a batch."""
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    form = EditBatchForm(obj=batch)
    if form.validate_on_submit():
        try:
            update_batch(current_user, batch, places=form.places.data,
                         transport=form.transport.data or "",
                         companions=form.companions.data or "", note=form.note.data or "",
                         status=form.status.data)
        except Refused as refusal:
            show_in_form(form, refusal, "places")
        else:
            flash(_("The batch was saved."), "success")
            return redirect(url_for("batches.show_batch", assessment_batch_id=batch.id))
    return render_template("batches/edit.html", form=form, batch=batch), (
        422 if form.errors else 200)


@bp.route("/<int:assessment_batch_id>/add", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def add_people(assessment_batch_id: int):
    """Put the chosen persons on the batch, within its places."""
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    form, _move = _forms(batch, [])
    if form.validate_on_submit():
        cases = [get_scoped_or_404(Case, case_id) for case_id in form.cases.data]
        try:
            n = add_cases(current_user, current_access(), batch, cases)
        except Refused as refusal:
            rollback()  # the batch is shown again as it is saved
            show_in_form(form, refusal, "cases")
        else:
            flash(_("%(n)s people were added to the batch.", n=n), "success")
            return redirect(url_for("batches.show_batch", assessment_batch_id=batch.id))
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    return _show(batch, 422, add=form)


@bp.route("/<int:assessment_batch_id>/attendance", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def attendance(assessment_batch_id: int):
    """Record who came and who was absent on the day, for the whole list at once."""
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    members = members_of(batch, current_access())
    form = attendance_form(members)
    if form.validate_on_submit():
        marks = {m.id: getattr(form, f"member_{m.id}").data for m in members
                 if hasattr(form, f"member_{m.id}")}
        totals = record_attendance(current_user, current_access(), batch, marks)
        flash(_("Attendance saved: %(a)s came, %(n)s were absent.",
                a=totals["attended"], n=totals["absent"]), "success")
        return redirect(url_for("batches.show_batch", assessment_batch_id=batch.id))
    return _show(batch, 422, attendance=form)


@bp.route("/<int:assessment_batch_id>/move", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def move(assessment_batch_id: int):
    """Move an absent person to a later batch of the same category."""
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    _add, form = _forms(batch, members_of(batch, current_access()))
    if form.validate_on_submit():
        member = get_scoped_or_404(BatchMember, form.member.data)
        target = get_scoped_or_404(AssessmentBatch, form.target.data)
        try:
            move_member(current_user, current_access(), member, target)
        except Refused as refusal:
            rollback()
            show_in_form(form, refusal, "target")
        else:
            flash(_("The person was moved to the batch of %(date)s.",
                    date=format_date(target.held_on, "long")), "success")
            return redirect(url_for("batches.show_batch", assessment_batch_id=batch.id))
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    return _show(batch, 422, move=form)


@bp.route("/<int:assessment_batch_id>/print")
@login_required
@require(Permission.VIEW_CASES)
def print_batch(assessment_batch_id: int):
    """The batch's list with a signature column, for printing on A4 (or saving as PDF)."""
    return render_print(get_scoped_or_404(AssessmentBatch, assessment_batch_id), city=False)
