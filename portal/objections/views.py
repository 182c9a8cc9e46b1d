"""Views of the objections area for the township office and the city: the list of objections,
recording one received on paper or by phone, checking and deciding one, its attachment; and
the parts the case page, the review queue and the printed notice include."""
from __future__ import annotations

import io

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.audit.services import record_event
from portal.auth.roles import Permission
from portal.cases.models import Case
from portal.clock import local_today
from portal.evidence.services import get_store
from portal.objections import bp
from portal.objections.forms import (
    CHANNEL_LABELS,
    STATUS_LABELS,
    DecisionForm,
    StaffObjectionForm,
)
from portal.objections.models import OBJECTION_STATUSES, Objection
from portal.objections.notices import notice_code, notice_print_parts, pretty_code
from portal.objections.services import (
    ObjectionData,
    dismiss_objection,
    objections_of,
    record_objection,
    uphold_objection,
)
from portal.pages import link_args, paginate
from portal.refusals import Refused, show_in_form
from portal.security import protect_file
from portal.storage import StoreError
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

PER_PAGE = 50


def _render(template: str, **context):
    return render_template(template, CHANNEL_LABELS=CHANNEL_LABELS,
                           STATUS_LABELS=STATUS_LABELS, **context)


@bp.route("/")
@login_required
@require(Permission.VIEW_CASES)
def list_objections():
    """The township's objections, those waiting to be checked first."""
    status = request.args.get("status", "open")
    stmt = scoped(select(Objection)).options(
        selectinload(Objection.case).selectinload(Case.person))
    if status in OBJECTION_STATUSES:
        stmt = stmt.where(Objection.status == status)
    page = paginate(stmt.order_by(Objection.received_on, Objection.id), PER_PAGE)
    return _render("objections/list.html", page=page, status=status, args=link_args(),
                   statuses=OBJECTION_STATUSES)


def _case_on_notice(case_id: int) -> Case:
    case = get_scoped_or_404(Case, case_id)
    if not current_access().can(Permission.MANAGE_CASES):
        abort(403)
    return case


@bp.route("/case/<int:case_id>/new", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CASES)
def record_for_case(case_id: int):
    """Record an objection to a case on notice, received on paper, by phone or in person."""
    case = _case_on_notice(case_id)
    form = StaffObjectionForm()
    if form.validate_on_submit():
        upload = form.attachment.data
        data = ObjectionData(reason=form.reason.data, contact=form.contact.data or "",
                             attachment=upload.stream if upload and upload.filename else None)
        try:
            record_objection(case, actor=current_user, channel=form.channel.data,
                             received_on=form.received_on.data, data=data)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("The objection is recorded. The case cannot go to the city until it is "
                    "checked."), "success")
            return redirect(url_for("cases.show_case", case_id=case.id, _anchor="objections"))
    status = 400 if request.method == "POST" else 200
    return _render("objections/record.html", case=case, form=form), status


@bp.route("/<int:objection_id>", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CASES)
def show_objection(objection_id: int):
    """One objection in full (who objected, how to reach them, the attachment) and, while it
    is open, the decision. Every view is audited: it shows the objector's contact."""
    objection = get_scoped_or_404(Objection, objection_id)
    access = current_access()
    can_decide = objection.is_open and access.can(Permission.MANAGE_CASES)
    form = DecisionForm(objection.id) if can_decide else None
    if request.method == "POST":
        if form is None:
            abort(403)
        if form.validate_on_submit():
            try:
                _decide(objection, form, access)
            except Refused as refusal:
                show_in_form(form, refusal, default_field="reason")
            else:
                flash(_("The decision is recorded."), "success")
                return redirect(url_for("cases.show_case", case_id=objection.case_id,
                                        _anchor="objections"))
    else:
        record_event("objection.view", actor=current_user, obj=objection,
                     details={"case_id": objection.case_id})
    status = 400 if request.method == "POST" else 200
    return _render("objections/show.html", objection=objection, form=form,
                   can_reveal=access.can(Permission.REVEAL_PERSONAL_DATA)), status


def _decide(objection: Objection, form: DecisionForm, access) -> None:
    if form.outcome.data == "upheld":
        uphold_objection(objection, actor=current_user, access=access,
                         reason=form.reason.data)
    else:
        dismiss_objection(objection, actor=current_user, reason=form.reason.data)


@bp.route("/<int:objection_id>/attachment")
@login_required
@require(Permission.VIEW_CASES)
def attachment(objection_id: int):
    """The objection's attachment, streamed through the portal (audited)."""
    objection = get_scoped_or_404(Objection, objection_id)
    if not objection.attachment_key:
        abort(404)
    try:
        with get_store(current_app).open(objection.attachment_key) as body:
            content = body.read()
    except StoreError:
        current_app.logger.warning("objection %s: attachment unreadable", objection.id)
        abort(404)
    record_event("objection.attachment_view", actor=current_user, obj=objection,
                 details={"case_id": objection.case_id})
    response = send_file(io.BytesIO(content), mimetype=objection.attachment_type,
                         download_name=f"objection-{objection.id}", max_age=0)
    return protect_file(response, objection.attachment_type)


# --- parts of other areas' pages ----------------------------------------------------------

@bp.app_context_processor
def _objection_parts():
    """`case_objections(case)` for the case page, `review_objections(cases)` for the city's
    review queue, `notice_print(village, start)` for the printed notice."""
    return {"case_objections": case_objections, "review_objections": review_objections,
            "notice_print": notice_print, "OBJECTION_CHANNELS": CHANNEL_LABELS,
            "OBJECTION_STATUSES": STATUS_LABELS}


def case_objections(case: Case) -> dict | None:
    """The objections to a case the user may see, and whether they may record one now."""
    access = g.get("access")
    if access is None:
        return None
    items = objections_of(scoped(select(Objection), access).where(Objection.case_id == case.id))
    can_record = case.state == "publicity" and access.can(Permission.MANAGE_CASES)
    if not items and not can_record:
        return None
    return {"items": items, "can_record": can_record,
            "can_decide": access.can(Permission.MANAGE_CASES)}


def review_objections(cases) -> dict[int, list[Objection]]:
    """The objections to the listed cases (all of them decided, or the case would not be
    under review), by case, for those who may see objections."""
    access = g.get("access")
    ids = [c.id for c in cases]
    if access is None or not ids:
        return {}
    by_case: dict[int, list[Objection]] = {}
    for objection in objections_of(scoped(select(Objection), access)
                                   .where(Objection.case_id.in_(ids))):
        by_case.setdefault(objection.case_id, []).append(objection)
    return by_case


def notice_print(village, starts_on) -> dict:
    """The short address, its QR and the code printed on a village's notice."""
    parts = notice_print_parts(village.id, starts_on)
    parts["code"] = pretty_code(notice_code(village.id, starts_on))
    parts["today"] = local_today()
    return parts
