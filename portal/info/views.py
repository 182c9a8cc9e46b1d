"""Views of the public information page: /info and its poster (no login), and the city
administrator's editor."""
from __future__ import annotations

import re

import segno
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.auth.roles import Role
from portal.clock import local_today
from portal.info import admin_bp, bp
from portal.info.forms import InfoForm
from portal.info.services import (
    current_text,
    days_of_week,
    render_markdown,
    save_text,
    schedule_by_township,
    townships,
    week_of,
)
from portal.public_url import public_url
from portal.tenancy import current_access

TEL_RE = re.compile(r"[^0-9+]")


def _public(template: str, **context):
    # Not cached by proxies: the page carries the visitor's own form token (language switch).
    return render_template(template, **context)


@bp.route("")
def show():
    """The county's page for the public: text, this week's days, the schedule, the hotline."""
    today = local_today()
    text = current_text()
    monday, sunday = week_of(today)
    return _public("info/show.html", text=text, today=today, monday=monday, sunday=sunday,
                   week=days_of_week(today), schedule=schedule_by_township(today),
                   tel=TEL_RE.sub("", text.hotline), address=public_url("info.show"))


@bp.route("/poster")
def poster():
    """An A4 poster for a village notice board: the QR of /info, the hotline and the days of
    one township (chosen on the page) or of all."""
    today = local_today()
    code = request.args.get("township") or None
    choices = townships()
    if code and code not in {t.code for t in choices}:
        abort(404)
    address = public_url("info.show")
    return _public("info/poster.html", text=current_text(), today=today, code=code,
                   choices=choices, schedule=schedule_by_township(today, code),
                   address=address, qr=segno.make(address, error="m").svg_data_uri(
                       scale=4, border=2))


@admin_bp.route("/edit", methods=["GET", "POST"])
def edit():
    """The city administrator writes the page (Markdown; saved sanitised, each save kept)."""
    if Role.CITY_ADMIN not in current_access().roles:
        abort(403)
    text = current_text()
    form = InfoForm()
    if request.method == "GET":
        form.title.data, form.summary.data = text.title, text.summary
        form.hotline.data, form.body.data = text.hotline, text.body_markdown
    if form.validate_on_submit():
        save_text(actor=current_user, title=form.title.data, summary=form.summary.data,
                  hotline=form.hotline.data, body=form.body.data)
        flash(_("The public information page is saved."), "success")
        return redirect(url_for("info_admin.edit"))
    preview = render_markdown(form.body.data or "")
    status = 400 if form.is_submitted() else 200
    return render_template("info/edit.html", form=form, text=text, preview=preview), status
