"""The supervisor's pages: the board, issuing a notice, accepting or returning an answer,
accountability records and the monthly report."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import case, select

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.jobs.views import enqueue_file_job, job_url
from portal.pages import paginate
from portal.reference.models import Township
from portal.refusals import Refused, show_in_form
from portal.supervision import bp, services, tasks
from portal.supervision.forms import (
    AccountabilityForm,
    AnswerForm,
    IssueForm,
    ReportMonthForm,
    ReturnForm,
)
from portal.supervision.models import (
    HEALTH_UNITS,
    AccountabilityRecord,
    SupervisionNotice,
)
from portal.supervision.sources import ITEM_LABELS, SOURCES, collect
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

PER_PAGE = 50


def _townships() -> list[Township]:
    return list(db.session.scalars(select(Township).order_by(Township.position, Township.id)))


@bp.route("/")
@login_required
@require(Permission.VIEW_CITY)
def board():
    """Overdue and escalated notices first (red), then those waiting, then answers to check."""
    today = local_today()
    first = case((SupervisionNotice.state == "escalated", 0),
                 (SupervisionNotice.due_on < today, 1), else_=2)
    stmt = scoped(select(SupervisionNotice).where(SupervisionNotice.state != "closed")
                  .order_by(first, SupervisionNotice.due_on, SupervisionNotice.id))
    page = paginate(stmt, PER_PAGE)
    return render_template("supervision/board.html", page=page, today=today,
                           can_supervise=current_access().can(Permission.SUPERVISE))


@bp.route("/closed")
@login_required
@require(Permission.VIEW_CITY)
def closed():
    stmt = scoped(select(SupervisionNotice).where(SupervisionNotice.state == "closed")
                  .order_by(SupervisionNotice.closed_on.desc(), SupervisionNotice.id.desc()))
    return render_template("supervision/closed.html", page=paginate(stmt, PER_PAGE))


def _target(form: IssueForm):
    value = form.target.data or ""
    if value.startswith("township:"):
        township = db.session.scalar(select(Township).where(
            Township.code == value.split(":", 1)[1]))
        return township, "township"
    return None, value


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.SUPERVISE)
def new_notice():
    """A notice from an overdue list: the list's items for the township are kept with it."""
    form = IssueForm(_townships())
    if request.method == "GET":
        form.source.data = request.args.get("source", "cases")
        form.target.data = request.args.get("target", "")
    today = local_today()
    township, unit = _target(form)
    items = (collect(form.source.data, current_access(), township, today)
             if township is not None and form.source.data in SOURCES else [])
    if request.method == "POST" and form.validate():
        try:
            notice = services.issue_notice(
                current_user, source=form.source.data, items=items,
                required_action=form.required_action.data, due_on=form.due_on.data,
                today=today, township=township, unit=unit, unit_name=form.unit_name.data or "")
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Supervision notice %(number)s issued.", number=notice.number), "success")
            return redirect(url_for("supervision.show_notice", supervision_id=notice.id))
    return render_template("supervision/new.html", form=form, items=items,
                           ITEM_LABELS=ITEM_LABELS), 200 if not form.errors else 400


@bp.route("/<int:supervision_id>")
@login_required
@require(Permission.VIEW_CITY)
def show_notice(supervision_id: int):
    notice = get_scoped_or_404(SupervisionNotice, supervision_id)
    return _show(notice)


def _show(notice, answer_form=None, return_form=None, status=200):
    access = current_access()
    can_answer = notice.unit in HEALTH_UNITS and access.can(Permission.MANAGE_DOCTORS)
    return render_template(
        "supervision/notice.html", notice=notice, today=local_today(), ITEM_LABELS=ITEM_LABELS,
        SOURCES=SOURCES, can_supervise=access.can(Permission.SUPERVISE), can_answer=can_answer,
        answer_form=answer_form or AnswerForm(), return_form=return_form or ReturnForm(),
    ), status


@bp.route("/<int:supervision_id>/answer", methods=["POST"])
@login_required
@require(Permission.MANAGE_DOCTORS)
def answer_unit_notice(supervision_id: int):
    """The health coordinator answers for the health bureau or a hospital."""
    notice = get_scoped_or_404(SupervisionNotice, supervision_id)
    if notice.unit not in HEALTH_UNITS:
        abort(404)
    form = AnswerForm()
    if form.validate():
        try:
            services.answer_notice(notice, current_user, form.answer.data, local_today())
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Answer sent."), "success")
            return redirect(url_for("supervision.show_notice", supervision_id=notice.id))
    return _show(notice, answer_form=form, status=400)


@bp.route("/<int:supervision_id>/accept", methods=["POST"])
@login_required
@require(Permission.SUPERVISE)
def accept(supervision_id: int):
    notice = get_scoped_or_404(SupervisionNotice, supervision_id)
    services.accept_answer(notice, current_user, local_today())
    flash(_("The answer is accepted and the notice closed."), "success")
    return redirect(url_for("supervision.board"))


@bp.route("/<int:supervision_id>/return", methods=["POST"])
@login_required
@require(Permission.SUPERVISE)
def return_answer(supervision_id: int):
    notice = get_scoped_or_404(SupervisionNotice, supervision_id)
    form = ReturnForm()
    if form.validate():
        try:
            services.return_answer(notice, current_user, form.reason.data, form.due_on.data,
                                   local_today())
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("The answer is returned: the unit must act again."), "success")
            return redirect(url_for("supervision.show_notice", supervision_id=notice.id))
    return _show(notice, return_form=form, status=400)


@bp.route("/accountability", methods=["GET", "POST"])
@login_required
@require(Permission.SUPERVISE)
def accountability():
    """Accountability records: kept permanently, added here, never changed or deleted."""
    townships = _townships()
    form = AccountabilityForm(townships)
    if request.method == "POST" and form.validate():
        township = next((t for t in townships if t.id == form.township.data), None)
        try:
            services.record_accountability(
                current_user, unit_name=form.unit_name.data,
                person_name=form.person_name.data or "", finding=form.finding.data,
                measure=form.measure.data, decided_on=form.decided_on.data,
                document_number=form.document_number.data, today=local_today(),
                township=township)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Accountability record saved."), "success")
            return redirect(url_for("supervision.accountability"))
    stmt = scoped(select(AccountabilityRecord).order_by(AccountabilityRecord.decided_on.desc(),
                                                        AccountabilityRecord.id.desc()))
    return render_template("supervision/accountability.html", form=form,
                           page=paginate(stmt, PER_PAGE)), 400 if form.errors else 200


@bp.route("/report")
@login_required
@require(Permission.VIEW_CITY)
def reports():
    """The monthly reports of a month: each township's as Excel, or as PDF (a job)."""
    today = local_today()
    form = ReportMonthForm(request.args)
    month = form.month.data if form.validate() and form.month.data else today.replace(day=1)
    form.month.data = month
    return render_template("supervision/reports.html", form=form, month=month,
                           townships=_townships(), pdf_form=FlaskForm())


def _report_township(township: str, month: int) -> Township:
    found = db.session.scalar(select(Township).where(Township.code == township))
    if found is None or not 1 <= month <= 12:
        abort(404)
    return found


@bp.route("/report/<township>/<int:year>-<int:month>.xlsx")
@login_required
@require(Permission.VIEW_CITY)
def monthly_report(township: str, year: int, month: int):
    """The month's supervision report of one township, as Excel."""
    from portal.supervision import report

    township = _report_township(township, month)
    data = report.monthly(current_access(), township, year, month, local_today())
    name = tasks.report_name(township, year, month, "xlsx")
    return Response(report.as_xlsx(data), mimetype=report.XLSX, headers={
        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/report/<township>/<int:year>-<int:month>.pdf", methods=["POST"])
@login_required
@require(Permission.VIEW_CITY)
def monthly_report_pdf(township: str, year: int, month: int):
    """Queue the month's report of one township as printable PDF; the job's page offers it."""
    township = _report_township(township, month)
    if not FlaskForm().validate_on_submit():
        abort(400)
    job = enqueue_file_job(
        tasks.REPORT_PDF, {"township_id": township.id, "year": year, "month": month},
        actor=current_user, township_id=None,
        back=url_for("supervision.reports", month=f"{year}-{month:02d}"))
    return redirect(job_url(job))
