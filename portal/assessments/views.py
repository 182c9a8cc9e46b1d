"""Assessment of a case by its doctor, the second doctor's review, and the doctor's workspace."""
from collections import defaultdict
from datetime import date

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
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
    AssessmentRefused,
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
from portal.cases.workflow import TransitionRefused
from portal.doctors.guards import MESSAGES as GUARD_MESSAGES
from portal.doctors.services import certified_doctors, local_today, signing_refusal
from portal.domain.grading import CATEGORIES
from portal.domain.limb import LIMB_CLAUSES_BY_CODE
from portal.extensions import db
from portal.reference.models import ConcentratedDay, Township
from portal.tenancy import current_access, get_scoped_or_404, require, scoped

ASSESSABLE_STATES = {"registered", "scheduled"}
MESSAGES = {
    **GUARD_MESSAGES,
    "wrong_state": _l("The case is not at a step where this can be signed."),
    "not_permitted": _l("Your role cannot sign assessments."),
    "measure_missing": _l("Enter this value: the standard needs it for this category and age."),
    "measure_invalid": _l("Enter a valid value (a number, not negative; percent up to 100)."),
    "measure_not_applicable": _l("The standard does not use this measure at the person's age: "
                                 "leave it empty."),
    "measure_unknown_level": _l("Choose a level from the list."),
    "measure_unknown_clause": _l("Choose a clause from the list."),
    "measure_with_aids": _l("Limbs are assessed without prostheses or other aids."),
    "measure_category": _l("These values do not belong to this category."),
    "multiple_needs_two": _l("Choose at least two categories for a multiple disability."),
    "unknown_category": _l("Choose categories from the list."),
    "exception_needs_limb": _l("This exception applies to limb (physical) disability only."),
    "months_since_onset_required": _l("Enter the months since onset to use this exception."),
    "limb_loss_clause_required": _l("An obviously missing limb needs a clause of a missing "
                                    "limb."),
    "exception_not_needed": _l("The rehabilitation year is over: no exception is needed, "
                               "choose “None”."),
    "stroke_exception_under_60": _l("The stroke exception is only for persons aged 60 or more "
                                    "within the rehabilitation year: the person does not meet "
                                    "its conditions."),
    "exception_needs_mental": _l("This exception applies to mental disability only."),
    "records_method_required": _l("With this exception the assessment is made from medical "
                                  "records: choose “From medical records”."),
    "records_brought_by_required": _l("Enter who brought the hospital records."),
    "first_secretary_required": _l("Enter the village first secretary who came with them."),
    "batch_categories_only": _l("Organised batches are for intellectual, vision and hearing "
                                "disability only."),
    "unknown_exception": _l("Choose an exception from the list."),
    "not_disabled_reason_required": _l("Write why the person is not disabled."),
    "mismatch_reason_required": _l("Your grade differs from the grade the measurements give: "
                                   "write your reason."),
    "nothing_to_review": _l("There is no assessment to review."),
    "disagreement_note_required": _l("Write why you disagree."),
}


def _render(template: str, **context):
    return render_template(template, CASE_LABELS=CASE_LABELS, **context)


def _message(code: str) -> str:
    return str(MESSAGES.get(code, _("This step is not allowed now.")))


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
    db.session.commit()
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
    general_error = None
    if form.validate_on_submit():
        values = _form_values(form)
        involved = list(form.involved.data or [])
        try:
            implied, _grades = grade_values(category, involved, values, age)
        except AssessmentRefused as exc:
            _mark(form, exc)
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
                except AssessmentRefused as exc:
                    db.session.rollback()
                    general_error = _mark(form, exc)
                except TransitionRefused as exc:
                    db.session.rollback()
                    general_error = _message(exc.code)
                else:
                    db.session.commit()
                    if case.state == "second_review":
                        flash(_("Assessment signed. The grade differs from the measured one: "
                                "the case waits for the second doctor's review."), "warning")
                    else:
                        flash(_("Assessment signed."), "success")
                    return redirect(url_for("assessments.show_assessments", case_id=case.id))
    problem = _signing_problem(case, category)
    return _render(
        "assessments/form.html", form=form, case=case, category=category, age=age,
        implied=implied, general_error=general_error, categories=CATEGORIES,
        signing_problem=_message(problem) if problem else None,
        fields_of=FIELDS,
    )


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return -1  # not an account: refused as an uncertified second doctor


def _mark(form: AssessmentForm, exc: AssessmentRefused) -> str | None:
    """Put the refusal next to its field; return it when no field shows it."""
    message = _message(exc.code)
    target = getattr(form, exc.field, None) if exc.field else None
    if target is None:
        return message
    target.errors = list(target.errors) + [message]
    return None


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
    general_error = None
    if form.validate_on_submit():
        try:
            review_assessment(case, actor=current_user, access=access,
                              agrees=form.decision.data == "agree", note=form.note.data or "")
        except AssessmentRefused as exc:
            db.session.rollback()
            if exc.field == "note":
                form.note.errors = list(form.note.errors) + [_message(exc.code)]
            else:
                general_error = _message(exc.code)
        except TransitionRefused as exc:
            db.session.rollback()
            general_error = _message(exc.code)
        else:
            db.session.commit()
            flash(_("Review signed."), "success")
            return redirect(url_for("assessments.show_assessments", case_id=case.id))
    if assessment is not None:
        record_assessments_viewed([assessment], current_user, via="review")
        db.session.commit()
    return _render("assessments/review.html", form=form, case=case,
                           assessment=assessment, general_error=general_error,
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
    return _message(code) if code else None
