"""Assessment of a case by its doctor, the second doctor's review, and the doctor's workspace."""
from collections import defaultdict
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.assessments import bp, workspace_bp
from portal.assessments.forms import (
    EXCEPTION_LABELS,
    METHOD_LABELS,
    OUTCOME_NOT_DISABLED,
    AssessmentForm,
    ReviewForm,
)
from portal.assessments.models import ASSESSMENT_METHODS, Assessment
from portal.assessments.services import (
    FIELDS,
    AssessmentData,
    age_on,
    grade_values,
    latest_assessment,
    record_assessment,
    record_assessments_viewed,
    review_assessment,
)
from portal.auth.roles import Permission
from portal.cases.labels import CASE_LABELS
from portal.cases.models import Case
from portal.doctors.services import certified_doctors, local_today, signing_refusal
from portal.domain.grading import CATEGORIES
from portal.domain.limb import LIMB_CLAUSES_BY_CODE
from portal.extensions import db
from portal.reference.models import ConcentratedDay, Township
from portal.refusals import Refused, message, show_in_form
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

ASSESSABLE_STATES = {"registered", "scheduled"}


def _render(template: str, **context):
    return render_template(template, CASE_LABELS=CASE_LABELS, **context)


def _case(case_id: int) -> Case:
    return get_scoped_or_404(Case, case_id)


def _category(case: Case) -> str:
    wanted = request.args.get("category") or case.requested_category or case.category
    return wanted if wanted in CATEGORIES else "physical"


def _form_values(form: AssessmentForm) -> dict:
    values = {}
    for fields in FIELDS.values():
        for name in fields:
            data = getattr(form, name).data
            values[name] = data if data != "" else None
    return values


def _signing_problem(case: Case, category: str) -> str | None:
    return signing_refusal(current_user.id, [category], local_today())


@bp.route("/<int:case_id>")
@login_required
@require(Permission.VIEW_CASES)
def show_assessments(case_id: int):
    """The assessments of a case, their second reviews, and what the viewer can do next."""
    case = _case(case_id)
    assessments = list(db.session.scalars(
        scoped(select(Assessment)).where(Assessment.case_id == case.id)
        .options(selectinload(Assessment.reviews)).order_by(Assessment.id)))
    access = current_access()
    can_assess = (access.can(Permission.ASSESS) and case.doctor_id == current_user.id
                  and case.state in ASSESSABLE_STATES)
    can_review = (access.can(Permission.ASSESS) and case.second_doctor_id == current_user.id
                  and case.state == "second_review")
    record_assessments_viewed(assessments, current_user, via="case")
    return _render("assessments/show.html", case=case, assessments=assessments,
                           can_assess=can_assess, can_review=can_review,
                           method_labels=METHOD_LABELS, exception_labels=EXCEPTION_LABELS,
                           clauses=LIMB_CLAUSES_BY_CODE)


@bp.route("/<int:case_id>/new", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CASES)
def new_assessment(case_id: int):
    """The assessment form of the case's doctor: one category's measured values, the grade."""
    case = _case(case_id)
    access = current_access()
    if not (access.can(Permission.ASSESS) and case.doctor_id == current_user.id):
        if request.method == "POST":
            abort(403)
        flash(_("Only the doctor assigned to this case can record its assessment."), "info")
        return redirect(url_for("assessments.show_assessments", case_id=case.id))
    if case.state not in ASSESSABLE_STATES:
        flash(_("This case is not waiting for an assessment."), "info")
        return redirect(url_for("assessments.show_assessments", case_id=case.id))
    category = _category(case)
    today = local_today()
    age = age_on(case.person.birth_date, today)
    seconds = certified_doctors([category], today, exclude=[current_user.id])
    form = AssessmentForm(seconds)
    if request.method == "GET":
        form.method.data = case.path if case.path in ASSESSMENT_METHODS else "concentrated"
    implied = None
    if form.validate_on_submit():
        values = _form_values(form)
        involved = list(form.involved.data or [])
        try:
            implied, _grades = grade_values(category, involved, values, age)
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            if form.sign.data:
                outcome = form.outcome.data
                data = AssessmentData(
                    category=category, method=form.method.data, values=values,
                    grade=None if outcome == OUTCOME_NOT_DISABLED else int(outcome),
                    involved=involved,
                    not_disabled_reason=form.not_disabled_reason.data or "",
                    mismatch_reason=form.mismatch_reason.data or "",
                    second_doctor_id=_int_or_none(form.second_doctor.data),
                    exception=form.exception.data or "",
                    months_since_onset=form.months_since_onset.data,
                    records_brought_by=form.records_brought_by.data or "",
                    first_secretary=form.first_secretary.data or "",
                    evidence_note=form.evidence_note.data or "",
                )
                try:
                    record_assessment(case, actor=current_user, access=access, data=data,
                                      day=today)
                except Refused as refusal:
                    show_in_form(form, refusal)
                else:
                    if case.state == "second_review":
                        flash(_("Assessment signed. The grade differs from the measured one: "
                                "the case waits for the second doctor's review."), "warning")
                    else:
                        flash(_("Assessment signed."), "success")
                    return redirect(url_for("assessments.show_assessments", case_id=case.id))
    problem = _signing_problem(case, category)
    return _render(
        "assessments/form.html", form=form, case=case, category=category, age=age,
        implied=implied, categories=CATEGORIES,
        signing_problem=message(problem) if problem else None,
        fields_of=FIELDS,
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return -1  # not an account: refused as an uncertified second doctor


@bp.route("/<int:case_id>/review", methods=["GET", "POST"])
@login_required
@require(Permission.VIEW_CASES)
def review(case_id: int):
    """The second doctor's review of an assessment whose grade differs from the measured one."""
    case = _case(case_id)
    access = current_access()
    if not (access.can(Permission.ASSESS) and case.second_doctor_id == current_user.id
            and case.state == "second_review"):
        if request.method == "POST":
            abort(403)
        flash(_("Only the second doctor chosen for this case can review it, while it waits for "
                "the review."), "info")
        return redirect(url_for("assessments.show_assessments", case_id=case.id))
    assessment = latest_assessment(case)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review_assessment(case, actor=current_user, access=access,
                              agrees=form.decision.data == "agree", note=form.note.data or "")
        except Refused as refusal:
            show_in_form(form, refusal)
        else:
            flash(_("Review signed."), "success")
            return redirect(url_for("assessments.show_assessments", case_id=case.id))
    if assessment is not None:
        record_assessments_viewed([assessment], current_user, via="review")
    return _render("assessments/review.html", form=form, case=case,
                           assessment=assessment,
                           method_labels=METHOD_LABELS, exception_labels=EXCEPTION_LABELS,
                           clauses=LIMB_CLAUSES_BY_CODE)


@workspace_bp.route("/")
@login_required
def workspace():
    """The doctor's cases (as first or second doctor), grouped by path and date."""
    from portal.scheduling.models import HomeVisit

    access = g.access
    cases = list(db.session.scalars(
        scoped(select(Case), access).options(selectinload(Case.person))
        .order_by(Case.id)))
    ids = [c.id for c in cases]
    visits: dict[int, date] = {}
    days: dict[int, date] = {}
    if ids:
        for case_id, visit_date in db.session.execute(
                select(HomeVisit.case_id, HomeVisit.visit_date)
                .where(HomeVisit.case_id.in_(ids), HomeVisit.status != "cancelled")
                .order_by(HomeVisit.visit_date)):
            visits.setdefault(case_id, visit_date)
        day_ids = {c.concentrated_day_id for c in cases if c.concentrated_day_id}
        if day_ids:
            days = dict(db.session.execute(select(ConcentratedDay.id, ConcentratedDay.day)
                                           .where(ConcentratedDay.id.in_(day_ids))).all())
    groups: dict[tuple[str, date], list[Case]] = defaultdict(list)
    for case in cases:
        if case.path == "home_visit" and case.id in visits:
            when = visits[case.id]
        elif case.concentrated_day_id in days:
            when = days[case.concentrated_day_id]
        else:
            when = case.created_at.date()
        groups[(case.path, when)].append(case)
    ordered = sorted(groups.items(), key=lambda item: (item[0][1], item[0][0]))
    townships = {}
    if cases:
        townships = {t.id: t for t in db.session.scalars(
            select(Township).where(Township.id.in_({c.township_id for c in cases})))}
    return _render("workspace/index.html", groups=ordered, townships=townships,
                           method_labels=METHOD_LABELS, me=current_user.id,
                           signing_problem=_workspace_problem())


def _workspace_problem() -> str | None:
    code = signing_refusal(current_user.id, [], local_today())
    return message(code) if code else None
