"""Township pages of a certificate's life: the list of requests, and the forms that register a
change, a replacement, a cancellation or a re-assessment for one holder (from the person's
page), plus that page's own section."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.roles import Permission
from portal.cases.labels import CASE_LABELS
from portal.clock import local_today
from portal.extensions import db
from portal.lifecycle import bp
from portal.lifecycle.cancellations import (
    barred_until,
    reassessment_cases,
    register_cancellation,
)
from portal.lifecycle.changes import open_reassessment, register_change
from portal.lifecycle.forms import (
    CancellationForm,
    ChangeForm,
    ReassessmentForm,
    ReplacementForm,
    RequestFilterForm,
)
from portal.lifecycle.holding import current_holding
from portal.lifecycle.labels import LIFE_LABELS
from portal.lifecycle.models import CertificateRequest
from portal.lifecycle.replacements import register_replacement
from portal.pages import link_args, paginate
from portal.reference.models import Village
from portal.refusals import Refused, show_in_form
from portal.rosters.models import Person
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

PER_PAGE = 50


def render(template: str, **context):
    return render_template(template, LIFE_LABELS=LIFE_LABELS, CASE_LABELS=CASE_LABELS,
                           **context)


@bp.route("/")
@login_required
@require(Permission.VIEW_PERSONS)
def list_requests():
    """The township's requests about certificates, newest first, by kind and state."""
    if not current_access().whole_township:
        abort(403)
    form = RequestFilterForm(request.args)
    stmt = scoped(select(CertificateRequest))
    if form.validate():
        if form.kind.data:
            stmt = stmt.where(CertificateRequest.kind == form.kind.data)
        if form.state.data:
            stmt = stmt.where(CertificateRequest.state == form.state.data)
    page = paginate(stmt.options(selectinload(CertificateRequest.person))
                    .order_by(CertificateRequest.id.desc()), PER_PAGE)
    return render("lifecycle/list.html", form=form, page=page, args=link_args())


def _holder(person_id: int) -> Person:
    """The person (seen by the user, else 404), for a user who registers requests (else 403)."""
    person = get_scoped_or_404(Person, person_id)
    if not current_access().can(Permission.MANAGE_CASES):
        abort(403)
    return person


def _done(req: CertificateRequest, message: str):
    flash(message, "success")
    return redirect(url_for("lifecycle.show_request", request_id=req.id))


@bp.route("/persons/<int:person_id>/change", methods=["GET", "POST"])
@login_required
def new_change(person_id: int):
    """Register a change of the holder's name, address, village, guardian or photo."""
    person = _holder(person_id)
    villages = db.session.scalars(scoped(select(Village)).order_by(Village.name)).all()
    form = ChangeForm(villages=villages)
    if request.method == "GET":
        form.process(obj=person)
        form.village.data = person.village_id
    if form.validate_on_submit():
        try:
            req = register_change(person, current_user, values=form.values(),
                                  new_photo=form.new_photo.data, note=form.note.data or "")
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            return _done(req, _("The change is registered. Add its documents, then send it "
                                "to the city."))
    return render("lifecycle/new_change.html", form=form, person=person,
                  holding=current_holding(person))


@bp.route("/persons/<int:person_id>/replacement", methods=["GET", "POST"])
@login_required
def new_replacement(person_id: int):
    """Register a replacement of a lost or damaged card."""
    person = _holder(person_id)
    form = ReplacementForm()
    if form.validate_on_submit():
        try:
            req = register_replacement(person, current_user, reason=form.reason.data,
                                       damaged_card_returned=form.damaged_card_returned.data,
                                       note=form.note.data or "")
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            return _done(req, _("The replacement is registered. Add the loss declaration if "
                                "the card was lost, then send it to the city."))
    return render("lifecycle/new_replacement.html", form=form, person=person,
                  holding=current_holding(person))


@bp.route("/persons/<int:person_id>/cancellation", methods=["GET", "POST"])
@login_required
def new_cancellation(person_id: int):
    """Register a cancellation: death, own request, not qualifying, fraud (city only)."""
    person = _holder(person_id)
    access = current_access()
    cases = reassessment_cases(person)
    form = CancellationForm(fraud_allowed=access.can(Permission.APPROVE_CASES), cases=cases)
    if form.validate_on_submit():
        try:
            req = register_cancellation(
                person, current_user, access, reason=form.reason.data,
                note=form.note.data or "", died_on=form.died_on.data,
                decision_document=form.decision_document.data or "",
                assessment_case_id=form.assessment_case.data, card_collected=form.collected())
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            return _done(req, _("The cancellation is registered. Add its documents, then send "
                                "it to the city."))
    return render("lifecycle/new_cancellation.html", form=form, person=person,
                  holding=current_holding(person), cases=cases)


@bp.route("/persons/<int:person_id>/reassessment", methods=["GET", "POST"])
@login_required
def new_reassessment(person_id: int):
    """The holder's category or grade changed: open a re-assessment case (kind "change")."""
    person = _holder(person_id)
    form = ReassessmentForm()
    if form.validate_on_submit():
        try:
            case = open_reassessment(g.township, current_user, person, path=form.path.data,
                                     requested_category=form.requested_category.data or None,
                                     note=form.note.data)
        except Refused as refusal:
            show_in_form(form, refusal, default_field="note")
        else:
            flash(_("The re-assessment was registered as case #%(id)s.", id=case.id),
                  "success")
            return redirect(url_for("cases.show_case", case_id=case.id))
    return render("lifecycle/new_reassessment.html", form=form, person=person,
                  holding=current_holding(person))


def person_section(person: Person) -> dict:
    """What a person's page shows of the certificate's life (wired by the app factory): the
    certificate held, the requests about it and the year's bar, for the township office and
    the city; the buttons for those who register requests."""
    access = g.get("access")
    if access is None or not access.whole_township:
        return {}
    requests = db.session.scalars(scoped(select(CertificateRequest)).where(
        CertificateRequest.person_id == person.id).order_by(CertificateRequest.id.desc())
        .limit(20)).all()
    return {"life": {
        "holding": current_holding(person),
        "requests": requests,
        "barred": barred_until(person),
        "can_register": access.can(Permission.MANAGE_CASES) and not person.deceased,
        "today": local_today(),
        "labels": LIFE_LABELS,
    }}
