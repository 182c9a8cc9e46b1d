"""The city's batch pages: every batch, batches of assistance units across townships, units."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.batches import city_bp
from portal.batches.forms import BatchForm, UnitForm
from portal.batches.models import AssessmentBatch
from portal.batches.pages import (
    batch_data,
    batch_list,
    hospitals,
    render_batch,
    render_print,
    unit_rows,
)
from portal.batches.services import create_batch, create_unit, members_of, units_helping
from portal.extensions import db
from portal.reference.models import Township
from portal.refusals import Refused, show_in_form
from portal.tenancy import current_access, get_scoped_or_404, require


def _townships() -> list[Township]:
    return list(db.session.scalars(select(Township).order_by(Township.position, Township.name)))


@city_bp.route("/")
@login_required
@require(Permission.VIEW_CITY)
def list_batches():
    """Every organised batch of every township and assistance unit."""
    return batch_list(city=True)


@city_bp.route("/units", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CITY)
def units():
    """The assistance units' registry: name, contact, the townships each helps."""
    form = UnitForm(_townships())
    if form.validate_on_submit() and current_access().can(Permission.SCHEDULE):
        try:
            create_unit(current_user, name=form.name.data, contact=form.contact.data or "",
                        township_ids=form.townships.data, kept_by=None)
        except Refused as refusal:
            show_in_form(form, refusal, "name")
        else:
            flash(_("The assistance unit was registered."), "success")
            return redirect(url_for("city_batches.units"))
    return render_template("batches/units.html", form=form, rows=unit_rows(),
                           city=True), 422 if form.errors else 200


@city_bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.SCHEDULE)
def new_batch():
    """Organise a batch of an assistance unit across the townships it helps."""
    form = BatchForm(hospitals(), units_helping(current_access()), _townships())
    if form.validate_on_submit():
        try:
            batch = create_batch(current_user, current_access(), batch_data(form))
        except Refused as refusal:
            show_in_form(form, refusal, "organiser")
        else:
            flash(_("The batch was organised. Each township now adds its people."), "success")
            return redirect(url_for("city_batches.show_batch", assessment_batch_id=batch.id))
    return render_template("batches/form.html", form=form, city=True), (
        422 if form.errors else 200)


@city_bp.route("/<int:assessment_batch_id>")
@login_required
@require(Permission.VIEW_CITY)
def show_batch(assessment_batch_id: int):
    """One batch with the persons of all its townships."""
    batch = get_scoped_or_404(AssessmentBatch, assessment_batch_id)
    return render_batch(batch, members_of(batch, current_access()), city=True)


@city_bp.route("/<int:assessment_batch_id>/print")
@login_required
@require(Permission.VIEW_CITY)
def print_batch(assessment_batch_id: int):
    """The batch's whole list with a signature column, for printing."""
    return render_print(get_scoped_or_404(AssessmentBatch, assessment_batch_id), city=True)
