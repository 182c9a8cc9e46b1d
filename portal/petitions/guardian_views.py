"""A guardian's petitions (/g/petitions): file one about one of their applicants or about
anything else, follow it, and ask for a review of the answer in time."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.cases.models import Case
from portal.clock import local_today
from portal.evidence.services import get_store
from portal.extensions import db
from portal.petitions import guardian_bp
from portal.petitions.attachments import accept_attribute, attach
from portal.petitions.forms import GuardianPetitionForm, ReviewRequestForm
from portal.petitions.labels import CATEGORY_LABELS, STATE_LABELS, STATE_TONES
from portal.petitions.models import Petition
from portal.petitions.queries import visible
from portal.petitions.services import (
    NewPetition,
    Subject,
    default_unit,
    record_petition,
)
from portal.petitions.steps import request_review
from portal.refusals import Refused, show_in_form
from portal.rosters.models import Person
from portal.tenancy import current_access, get_scoped_or_404, scoped


def _people() -> list[Person]:
    return list(db.session.scalars(scoped(select(Person)).order_by(Person.name, Person.id)))


def _labels() -> dict:
    return {"STATE_LABELS": STATE_LABELS, "STATE_TONES": STATE_TONES,
            "CATEGORY_LABELS": CATEGORY_LABELS, "today": local_today()}


@guardian_bp.route("/")
@login_required
def my_petitions():
    """The petitions this guardian filed, newest first."""
    petitions = db.session.scalars(visible(current_access())
                                   .order_by(Petition.id.desc()).limit(200)).all()
    return render_template("petitions/guardian_list.html", petitions=petitions, **_labels())


def _subject(person_id: int, about_staff: bool) -> Subject:
    person = next((p for p in _people() if p.id == person_id), None)
    if person is None:
        return Subject(about_township_staff=False)
    case = db.session.scalar(scoped(select(Case)).where(Case.person_id == person.id)
                             .order_by(Case.id.desc()).limit(1))
    return Subject(township_id=person.township_id, about_township_staff=about_staff,
                   person_id=person.id, case_id=case.id if case else None)


@guardian_bp.route("/new", methods=["GET", "POST"])
@login_required
def file_petition():
    """File a petition; the township's DPF (or the city's) handles it."""
    form = GuardianPetitionForm(people=_people())
    if not form.is_submitted():
        form.petitioner_name.data = current_user.display_name or ""
    status = 200
    if form.validate_on_submit():
        subject = _subject(form.person.data, bool(form.about_township_staff.data))
        if form.about_township_staff.data and subject.township_id is None:
            form.person.errors = [_("Choose the applicant whose township's staff the "
                                    "petition is about.")]
            status = 400
        else:
            try:
                petition = _file(form, subject)
            except Refused as refusal:
                show_in_form(form, refusal)
                status = 400
            else:
                flash(_("Your petition was received. Its reference is %(ref)s.",
                        ref=petition.reference), "success")
                return redirect(url_for("guardian_petitions.show_petition",
                                        petition_id=petition.id))
    elif form.is_submitted():
        status = 400
    return render_template("petitions/guardian_new.html", form=form,
                           accept=accept_attribute(current_app.config)), status


def _file(form: GuardianPetitionForm, subject: Subject) -> Petition:
    petition = record_petition(NewPetition(
        channel="guardian", category=form.category.data, content=form.content.data,
        petitioner_name=form.petitioner_name.data,
        petitioner_phone=form.petitioner_phone.data or "", subject=subject,
        unit=default_unit(subject), received_on=local_today(), filed_by_id=current_user.id),
        actor=current_user)
    upload = form.attachment.data
    if upload and upload.filename:
        attach(petition, stream=upload.stream, filename=upload.filename, actor=current_user,
               store=get_store(current_app), config=current_app.config)
    return petition


def _render_own(petition: Petition, form: ReviewRequestForm, status: int = 200):
    return render_template("petitions/guardian_show.html", petition=petition, form=form,
                           can_ask_review=petition.state == "answered"
                           and local_today() <= petition.review_until, **_labels()), status


@guardian_bp.route("/<int:petition_id>")
@login_required
def show_petition(petition_id: int):
    """One of the guardian's petitions: its stage, the decisions and answers given."""
    petition = get_scoped_or_404(Petition, petition_id)
    return _render_own(petition, ReviewRequestForm(prefix="review", formdata=None))


@guardian_bp.route("/<int:petition_id>/review", methods=["POST"])
@login_required
def ask_review(petition_id: int):
    """The guardian asks for a review of the answer (within the time after it)."""
    petition = get_scoped_or_404(Petition, petition_id)
    form = ReviewRequestForm(prefix="review")
    if not form.validate_on_submit():
        return _render_own(petition, form, 400)
    try:
        request_review(petition, current_access(), current_user, reason=form.reason.data)
    except Refused as refusal:
        show_in_form(form, refusal)
        return _render_own(petition, form, 400)
    flash(_("Your request for a review was received."), "success")
    return redirect(url_for("guardian_petitions.show_petition", petition_id=petition.id), 303)
