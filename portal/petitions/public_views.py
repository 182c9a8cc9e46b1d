"""The public petition form (/petition): anyone, without an account, limited per address.

Nothing personal is ever sent back: the page after sending shows only the reference number and
what happens next, and a form sent back for a correction comes back without the name, phone and
address that were typed (they must be typed again). Every answer is `no-store`.
"""
from __future__ import annotations

from flask import current_app, redirect, render_template, session, url_for
from sqlalchemy import select

from portal.clock import local_today
from portal.evidence.services import get_store
from portal.extensions import db, limiter
from portal.petitions import public_bp
from portal.petitions.attachments import accept_attribute, attach
from portal.petitions.forms import PublicPetitionForm
from portal.petitions.services import (
    NewPetition,
    Subject,
    default_unit,
    limits,
    record_petition,
)
from portal.reference.models import Township
from portal.refusals import Refused, show_in_form

SENT_KEY = "petition_sent"
PERSONAL_FIELDS = ("petitioner_name", "petitioner_phone")


def _limit() -> str:
    return current_app.config.get("PETITION_PUBLIC_RATE_LIMIT", "5 per hour")


def _private(response, status: int = 200):
    response = current_app.make_response((response, status))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _record(form: PublicPetitionForm) -> str:
    township = db.session.get(Township, form.township.data) if form.township.data else None
    subject = Subject(township_id=township.id if township else None,
                      about_township_staff=bool(form.about_township_staff.data) and
                      township is not None)
    petition = record_petition(NewPetition(
        channel="public_form", category=form.category.data, content=form.content.data,
        petitioner_name=form.petitioner_name.data, petitioner_phone=form.petitioner_phone.data,
        subject=subject, unit=default_unit(subject), received_on=local_today()))
    upload = form.attachment.data
    if upload and upload.filename:
        attach(petition, stream=upload.stream, filename=upload.filename, actor=None,
               store=get_store(current_app), config=current_app.config)
    return petition.reference


@public_bp.route("", methods=["GET", "POST"])
@limiter.limit(_limit, methods=["POST"])
def public_form():
    """Anyone sends a petition; the answer is a reference number to quote."""
    townships = list(db.session.scalars(select(Township).order_by(Township.position)))
    form = PublicPetitionForm(townships=townships)
    status = 200
    if form.validate_on_submit():
        try:
            reference = _record(form)
        except Refused as refusal:
            show_in_form(form, refusal)
            status = 400
        else:
            session[SENT_KEY] = reference
            return redirect(url_for("public_petitions.sent"), 303)
    elif form.is_submitted():
        status = 400
    if status != 200:
        for name in PERSONAL_FIELDS:
            getattr(form, name).data = ""
    return _private(render_template("petitions/public_form.html", form=form,
                                    accept=accept_attribute(current_app.config),
                                    retyped=status != 200, limits=limits()), status)


@public_bp.route("/sent")
def sent():
    """The reference number, shown once, and what happens next."""
    reference = session.pop(SENT_KEY, None)
    if reference is None:
        return redirect(url_for("public_petitions.public_form"))
    return _private(render_template("petitions/public_sent.html", reference=reference,
                                    limits=limits()))
