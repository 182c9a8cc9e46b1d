"""A township's side of supervision: the notices to it, and its answers."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.refusals import Refused, show_in_form
from portal.supervision import services, township_bp
from portal.supervision.forms import AnswerForm
from portal.supervision.models import SupervisionNotice
from portal.supervision.sources import ITEM_LABELS
from portal.tenancy import get_scoped_or_404, require, scoped


def _own(supervision_id: int) -> SupervisionNotice:
    notice = get_scoped_or_404(SupervisionNotice, supervision_id)
    if notice.township_id != g.township.id:
        from flask import abort
        abort(404)
    return notice


@township_bp.route("/")
@login_required
@require(Permission.MANAGE_CASES)
def notices():
    rows = db.session.scalars(scoped(select(SupervisionNotice).where(
        SupervisionNotice.township_id == g.township.id).order_by(
        SupervisionNotice.state.in_(("answered", "closed")), SupervisionNotice.due_on))).all()
    return render_template("supervision/township_list.html", notices=rows, today=local_today())


@township_bp.route("/<int:supervision_id>", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_CASES)
def answer(supervision_id: int):
    notice = _own(supervision_id)
    form = AnswerForm()
    status = 200
    if form.is_submitted():
        if form.validate():
            try:
                services.answer_notice(notice, current_user, form.answer.data, local_today())
            except Refused as refusal:
                show_in_form(form, refusal)
            else:
                flash(_("Answer sent to the supervision office."), "success")
                return redirect(url_for("supervision_township.notices"))
        status = 400
    return render_template("supervision/township_answer.html", notice=notice, form=form,
                           today=local_today(), ITEM_LABELS=ITEM_LABELS), status
