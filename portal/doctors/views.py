"""The doctors' registry: every doctor account with its certification; create and edit."""
from datetime import timedelta

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.models import User
from portal.auth.roles import Permission
from portal.doctors import bp
from portal.doctors.forms import CertificationForm
from portal.doctors.services import (
    EXPIRING_SOON_DAYS,
    CertificationData,
    certification_of,
    doctor_users,
    is_doctor,
    local_today,
    save_certification,
)
from portal.extensions import db
from portal.reference.models import Hospital
from portal.refusals import Refused, show_in_form
from portal.tenancy import require


def _status(cert, today) -> str:
    """none, inactive, expired, not_yet, expiring or valid."""
    if cert is None:
        return "none"
    if not cert.active:
        return "inactive"
    if cert.valid_until < today:
        return "expired"
    if cert.valid_from > today:
        return "not_yet"
    if cert.valid_until <= today + timedelta(days=EXPIRING_SOON_DAYS):
        return "expiring"
    return "valid"


@bp.route("")
@login_required
@require(Permission.MANAGE_DOCTORS)
def list_doctors():
    """Every doctor account with its certification and whether it is valid or expiring."""
    today = local_today()
    rows = []
    for user in doctor_users():
        cert = certification_of(user.id)
        rows.append({"user": user, "cert": cert, "status": _status(cert, today)})
    return render_template("doctors/list.html", rows=rows, today=today,
                           soon_days=EXPIRING_SOON_DAYS)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_DOCTORS)
def edit_certification(user_id: int):
    """Register a doctor's certification, or edit (renew, switch off) the one on record."""
    user = db.session.get(User, user_id)
    if user is None or not is_doctor(user):
        abort(404)
    cert = certification_of(user.id)
    hospitals = list(db.session.scalars(select(Hospital).order_by(Hospital.name)))
    form = CertificationForm(hospitals, obj=None)
    if cert is not None and not form.is_submitted():
        form.number.data = cert.number
        form.hospital.data = cert.hospital_id
        form.categories.data = list(cert.categories or [])
        form.valid_from.data = cert.valid_from
        form.valid_until.data = cert.valid_until
        form.active.data = cert.active
    if form.validate_on_submit():
        data = CertificationData(
            number=form.number.data, hospital_id=form.hospital.data,
            categories=list(form.categories.data), valid_from=form.valid_from.data,
            valid_until=form.valid_until.data, active=form.active.data,
        )
        try:
            save_certification(user, current_user, data)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Certification of %(name)s saved.",
                    name=user.display_name or user.username), "success")
            return redirect(url_for("doctors.list_doctors"))
    return render_template("doctors/edit.html", form=form, doctor=user, cert=cert,
                           hospitals=hospitals)
