"""The public page of a printed notice (`/n/<code>`, no login): the persons the paper lists,
and a form to object to one of them while the notice runs. It shows only what the paper
shows and echoes nothing of an objection back; both its reading and its sending are
rate-limited per address."""
from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _

from portal.clock import local_today
from portal.extensions import limiter
from portal.objections import notice_bp
from portal.objections.forms import PublicObjectionForm
from portal.objections.notices import find_notice, pretty_code
from portal.objections.services import (
    ObjectionData,
    attachment_limit_mb,
    receive_public_objection,
)
from portal.refusals import Refused, show_in_form


def _view_limit() -> str:
    return current_app.config.get("NOTICE_VIEW_RATE_LIMIT", "30 per minute")


def _objection_limit() -> str:
    return current_app.config.get("OBJECTION_RATE_LIMIT", "5 per hour")


@notice_bp.route("/<code>", methods=["GET", "POST"])
@limiter.limit(_view_limit, methods=["GET"])
@limiter.limit(_objection_limit, methods=["POST"])
def show(code: str):
    """A notice's persons (name, village, category, grade) and the objection form."""
    notice = find_notice(code[:40])
    if notice is None:
        abort(404)
    today = local_today()
    running = notice.starts_on <= today <= notice.ends_on
    form = PublicObjectionForm(notice.cases if running else [])
    if form.validate_on_submit():
        upload = form.attachment.data
        data = ObjectionData(reason=form.reason.data, contact=form.contact.data or "",
                             attachment=upload.stream if upload and upload.filename else None)
        try:
            objection = receive_public_objection(notice, form.case_id.data, data, today=today)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Your objection was received (number %(number)d). The township disabled "
                    "persons' federation will check it before the result goes on.",
                    number=objection.id), "success")
            return redirect(url_for("notice.show", code=pretty_code(notice.code)), 303)
    status = 400 if form.is_submitted() and (form.errors or form.form_errors) else 200
    response = make_response(render_template(
        "objections/notice_public.html", notice=notice, form=form, running=running,
        today=today, limit_mb=attachment_limit_mb(current_app.config)), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
