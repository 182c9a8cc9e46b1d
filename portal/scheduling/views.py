"""Concentrated days (places, attendance list, moves) and home visits (booking, calendar)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from portal.auth.roles import Permission
from portal.cases.models import Case
from portal.clock import local_today
from portal.domain.idcard import mask
from portal.extensions import db
from portal.labels import LABELS
from portal.reference.models import ConcentratedDay, Hospital
from portal.refusals import Refused, show_in_form
from portal.rosters.models import CATEGORIES, Person
from portal.scheduling import bp
from portal.scheduling.forms import (
    ATTENDANCE_LABELS,
    DAY_STATUS_LABELS,
    OUTCOME_LABELS,
    VISIT_STATUS_LABELS,
    AssignForm,
    CalendarForm,
    CancelVisitForm,
    DayForm,
    MoveCaseForm,
    OutcomeForm,
    ReleaseCaseForm,
    VisitForm,
    attendance_form,
)
from portal.scheduling.models import DayAssignment, HomeVisit, HomeVisitMember
from portal.scheduling.services import (
    ASSIGNABLE_STATES,
    DayData,
    VisitData,
    assign_cases,
    assigned_counts,
    assignments_of,
    book_visit,
    cancel_visit,
    create_day,
    current_days,
    day_cases,
    doctor_users,
    move_case,
    record_attendance,
    record_visit_outcome,
    release_case,
    staff_users,
    update_day,
    visit_candidates,
)
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.uow import discard, rollback


def _id_fragment(number: str) -> str:
    """The ID characters a schedule shows: the last four to those who may reveal the whole
    number, otherwise only what the lists show (the last four together with the birth date
    on the person's page and the county's area code would rebuild the whole number)."""
    if current_access().can(Permission.REVEAL_PERSONAL_DATA):
        return "…" + number[-4:]
    return mask(number)


def _case_label(case: Case) -> str:
    person = case.person
    parts = [person.name]
    if person.village:
        parts.append(person.village.name)
    if case.requested_category:
        parts.append(str(LABELS["category"].get(case.requested_category, "")))
    parts.append(_id_fragment(person.id_number))
    return " · ".join(parts)


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def _hospitals():
    return list(db.session.scalars(select(Hospital).order_by(Hospital.name)))


def _day_data(form: DayForm) -> DayData:
    return DayData(day=form.day.data, hospital_ids=form.hospitals.data,
                   capacities=form.capacities(), status=form.status.data,
                   note=(form.note.data or "").strip())


def _no_show_counts(day_ids: list[int]) -> dict[int, int]:
    if not day_ids:
        return {}
    stmt = (
        scoped(select(DayAssignment.day_id, func.count(DayAssignment.id)))
        .join(Case, Case.id == DayAssignment.case_id)
        .where(DayAssignment.day_id.in_(day_ids), DayAssignment.attendance == "no_show",
               Case.concentrated_day_id == DayAssignment.day_id)
        .group_by(DayAssignment.day_id)
    )
    return dict(db.session.execute(stmt).all())


# --- concentrated days ---------------------------------------------------------------------

@bp.route("/days")
@login_required
@require(Permission.VIEW_CASES)
def list_days():
    """The township's concentrated days with places and assigned people per category."""
    access = current_access()
    days = db.session.scalars(current_days().order_by(ConcentratedDay.day))
    days = list(days)
    rows = [(d, assigned_counts(d, access)) for d in days]
    return render_template(
        "scheduling/days.html", rows=rows, categories=CATEGORIES,
        no_shows=_no_show_counts([d.id for d in days]), status_labels=DAY_STATUS_LABELS,
        can_schedule=access.can(Permission.SCHEDULE),
    )


@bp.route("/days/new", methods=["GET", "POST"])
@login_required
@require(Permission.SCHEDULE)
def new_day():
    """Add a concentrated day."""
    form = DayForm(_hospitals())
    if form.validate_on_submit():
        try:
            day = create_day(g.township, current_user, _day_data(form))
        except Refused as refusal:
            show_in_form(form, refusal, "day")
        else:
            flash(_("The concentrated day was added."), "success")
            return redirect(url_for("scheduling.show_day", day_id=day.id))
    return render_template("scheduling/day_form.html", form=form, day=None)


@bp.route("/days/<int:day_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.SCHEDULE)
def edit_day(day_id: int):
    """Change a day's date, hospitals, places, status or note; a new date moves its people."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    form = DayForm(_hospitals(), obj=day)
    if request.method == "GET":
        form.hospitals.data = [h.id for h in day.hospitals]
    if form.validate_on_submit():
        try:
            moved = update_day(g.township, current_user, current_access(), day,
                               _day_data(form))
        except Refused as refusal:
            show_in_form(form, refusal, "capacity_vision")
        else:
            if moved:
                flash(_("The day moved to %(date)s; its %(n)s people moved with it.",
                        date=format_date(day.day, "long"), n=moved), "success")
            else:
                flash(_("The concentrated day was saved."), "success")
            return redirect(url_for("scheduling.show_day", day_id=day.id))
    return render_template("scheduling/day_form.html", form=form, day=day)


def _day_forms(day: ConcentratedDay, cases: list[Case]):
    candidates = db.session.scalars(
        scoped(select(Case))
        .join(Person, Person.id == Case.person_id)
        .where(Case.path == "concentrated", Case.state.in_(ASSIGNABLE_STATES),
               Case.concentrated_day_id.is_(None))
        .order_by(Person.name_pinyin, Case.id)
    )
    assign = AssignForm([(c.id, _case_label(c)) for c in candidates], prefix="assign")
    others = db.session.scalars(
        current_days()
        .where(ConcentratedDay.id != day.id, ConcentratedDay.status == "planned")
        .order_by(ConcentratedDay.day)
    )
    on_day = [(c.id, _case_label(c)) for c in cases if c.state in ASSIGNABLE_STATES]
    move = MoveCaseForm(on_day, [(d.id, format_date(d.day, "long")) for d in others],
                        prefix="move")
    release = ReleaseCaseForm(on_day, prefix="release")
    return assign, move, release


def _render_day(day: ConcentratedDay, attendance=None, assign=None, move=None, release=None):
    access = current_access()
    cases = day_cases(day, access)
    rows = assignments_of(day, cases)
    default_assign, default_move, default_release = _day_forms(day, cases)
    return render_template(
        "scheduling/day.html", day=day, cases=cases, assignments=rows,
        counts=assigned_counts(day, access), categories=CATEGORIES,
        attendance=attendance or attendance_form(cases, rows),
        assign=assign or default_assign, move=move or default_move,
        release=release or default_release,
        attendance_labels=ATTENDANCE_LABELS, status_labels=DAY_STATUS_LABELS,
        can_schedule=access.can(Permission.SCHEDULE), today=local_today(), age=_age,
    )


@bp.route("/days/<int:day_id>")
@login_required
@require(Permission.VIEW_CASES)
def show_day(day_id: int):
    """One day: places per category, the people on it, attendance and moves."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    return _render_day(day)


@bp.route("/days/<int:day_id>/assign", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def assign_to_day(day_id: int):
    """Place the chosen people on the day, within the places of each category."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    form, _move, _release = _day_forms(day, day_cases(day, current_access()))
    if form.validate_on_submit():
        cases = [get_scoped_or_404(Case, case_id) for case_id in form.cases.data]
        try:
            n = assign_cases(g.township, current_user, current_access(), day, cases)
        except Refused as refusal:
            rollback()  # the day is shown again as it is saved
            show_in_form(form, refusal, "cases")
        else:
            flash(_("%(n)s people were added to the day.", n=n), "success")
            return redirect(url_for("scheduling.show_day", day_id=day.id))
    day = get_scoped_or_404(ConcentratedDay, day_id)
    return _render_day(day, assign=form), 422


@bp.route("/days/<int:day_id>/move", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def move_person(day_id: int):
    """Move one person of the day to another day."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    _assign, form, _release = _day_forms(day, day_cases(day, current_access()))
    if form.validate_on_submit():
        case = get_scoped_or_404(Case, form.case.data)
        target = get_scoped_or_404(ConcentratedDay, form.target.data)
        try:
            move_case(g.township, current_user, current_access(), case, target)
        except Refused as refusal:
            rollback()  # the day is shown again as it is saved
            show_in_form(form, refusal, "target")
        else:
            flash(_("The person was moved to %(date)s.", date=format_date(target.day, "long")),
                  "success")
            return redirect(url_for("scheduling.show_day", day_id=day.id))
    day = get_scoped_or_404(ConcentratedDay, day_id)
    return _render_day(day, move=form), 422


@bp.route("/days/<int:day_id>/release", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def release_person(day_id: int):
    """Take one person off the day (their case goes back to registered)."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    _assign, _move, form = _day_forms(day, day_cases(day, current_access()))
    if form.validate_on_submit():
        case = get_scoped_or_404(Case, form.case.data)
        try:
            release_case(g.township, current_user, current_access(), case)
        except Refused as refusal:
            rollback()  # the day is shown again as it is saved
            show_in_form(form, refusal, "case")
        else:
            flash(_("The person was taken off the day."), "success")
            return redirect(url_for("scheduling.show_day", day_id=day.id))
    day = get_scoped_or_404(ConcentratedDay, day_id)
    return _render_day(day, release=form), 422


@bp.route("/days/<int:day_id>/attendance", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def record_day_attendance(day_id: int):
    """Record who came and who did not, for the whole list at once."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    cases = day_cases(day, current_access())
    form = attendance_form(cases, assignments_of(day, cases))
    if form.validate_on_submit():
        marks = {c.id: getattr(form, f"case_{c.id}").data for c in cases}
        totals = record_attendance(g.township, current_user, day, marks)
        flash(_("Attendance saved: %(a)s came, %(n)s did not come.",
                a=totals["attended"], n=totals["no_show"]), "success")
        return redirect(url_for("scheduling.show_day", day_id=day.id))
    return _render_day(day, attendance=form), 422


@bp.route("/days/<int:day_id>/print")
@login_required
@require(Permission.VIEW_CASES)
def print_day(day_id: int):
    """The attendance list of the day for printing on A4 (the browser prints it to PDF)."""
    day = get_scoped_or_404(ConcentratedDay, day_id)
    cases = day_cases(day, current_access())
    return render_template("scheduling/print_day.html", day=day, cases=cases,
                           on=day.day, age=_age, id_fragment=_id_fragment)


# --- home visits ---------------------------------------------------------------------------

def _monday(of: date) -> date:
    return of - timedelta(days=of.weekday())


@bp.route("/visits")
@login_required
@require(Permission.VIEW_CASES)
def list_visits():
    """The week's home visits of the township, optionally of one team member."""
    access = current_access()
    members = doctor_users() + staff_users(g.township)
    form = CalendarForm(members, formdata=request.args)
    week = form.week.data if form.validate() and form.week.data else local_today()
    member_id = form.member.data if not form.member.errors else 0
    start = _monday(week)
    end = start + timedelta(days=6)
    stmt = (
        scoped(select(HomeVisit))
        .where(HomeVisit.visit_date >= start, HomeVisit.visit_date <= end)
        .order_by(HomeVisit.visit_date, HomeVisit.starts_at, HomeVisit.id)
    )
    if member_id:
        stmt = stmt.where(HomeVisit.id.in_(
            select(HomeVisitMember.visit_id).where(HomeVisitMember.user_id == member_id)))
    visits = list(db.session.scalars(stmt))
    days = [start + timedelta(days=i) for i in range(7)]
    by_day = {d: [v for v in visits if v.visit_date == d] for d in days}
    waiting = []
    if access.can(Permission.SCHEDULE):
        booked = select(HomeVisit.case_id).where(HomeVisit.status == "booked")
        waiting = list(db.session.scalars(
            visit_candidates(access).where(Case.id.not_in(booked)).limit(200)))
    return render_template(
        "scheduling/visits.html", form=form, days=days, by_day=by_day, start=start,
        prev_week=start - timedelta(days=7), next_week=start + timedelta(days=7),
        member_id=member_id, waiting=waiting, status_labels=VISIT_STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS, can_schedule=access.can(Permission.SCHEDULE),
        today=local_today(),
    )


@bp.route("/visits/new", methods=["GET", "POST"])
@login_required
@require(Permission.SCHEDULE)
def new_visit():
    """Book a home visit for an applicant who cannot travel."""
    access = current_access()
    candidates = list(db.session.scalars(visit_candidates(access).limit(500)))
    form = VisitForm([(c.id, _case_label(c)) for c in candidates], doctor_users(),
                     staff_users(g.township))
    if request.method == "GET":
        chosen = request.args.get("case", type=int)
        case = next((c for c in candidates if c.id == chosen), None)
        if case is not None:
            form.case.data = case.id
            form.address.data = case.person.address
    if form.validate_on_submit():
        case = get_scoped_or_404(Case, form.case.data)
        data = VisitData(
            visit_date=form.visit_date.data, starts_at=form.starts_at.data,
            ends_at=form.ends_at.data, address=form.address.data or "",
            doctor_ids=form.doctors.data, staff_ids=form.staff.data or [],
            notes=form.notes.data or "",
        )
        try:
            visit = book_visit(g.township, current_user, access, case, data)
        except Refused as refusal:
            appeal = refusal.code == "schedule_same_doctor_as_appealed_case"
            show_in_form(form, refusal, "doctors" if appeal else "case")
        else:
            flash(_("The home visit was booked."), "success")
            return redirect(url_for("scheduling.show_visit", visit_id=visit.id))
    return render_template("scheduling/visit_form.html", form=form), (
        422 if form.errors else 200)


@bp.route("/visits/<int:visit_id>")
@login_required
@require(Permission.VIEW_CASES)
def show_visit(visit_id: int):
    """One home visit: applicant, time, address, team, outcome."""
    visit = get_scoped_or_404(HomeVisit, visit_id)
    return render_template(
        "scheduling/visit.html", visit=visit, outcome_form=OutcomeForm(prefix="outcome"),
        cancel_form=CancelVisitForm(prefix="cancel"), status_labels=VISIT_STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS, can_schedule=current_access().can(Permission.SCHEDULE),
    )


@bp.route("/visits/<int:visit_id>/outcome", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def record_outcome(visit_id: int):
    """Record the outcome of a visit (assessed, not at home, refused, moved to video)."""
    visit = get_scoped_or_404(HomeVisit, visit_id)
    form = OutcomeForm(prefix="outcome")
    if form.validate_on_submit():
        try:
            record_visit_outcome(g.township, current_user, current_access(), visit,
                                 form.outcome.data, form.note.data or "")
        except Refused as refusal:
            discard()
            flash(refusal.message, "error")
        else:
            flash(_("The outcome of the visit was recorded."), "success")
        return redirect(url_for("scheduling.show_visit", visit_id=visit_id))
    return render_template(
        "scheduling/visit.html", visit=visit, outcome_form=form,
        cancel_form=CancelVisitForm(prefix="cancel"), status_labels=VISIT_STATUS_LABELS,
        outcome_labels=OUTCOME_LABELS, can_schedule=True,
    ), 422


@bp.route("/visits/<int:visit_id>/cancel", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def cancel_booked_visit(visit_id: int):
    """Cancel a booked visit."""
    visit = get_scoped_or_404(HomeVisit, visit_id)
    form = CancelVisitForm(prefix="cancel")
    if not form.validate_on_submit():
        flash(_("The visit was not cancelled: the form has expired. Try again."), "error")
        return redirect(url_for("scheduling.show_visit", visit_id=visit_id))
    try:
        cancel_visit(g.township, current_user, current_access(), visit)
    except Refused as refusal:
        discard()
        flash(refusal.message, "error")
    else:
        flash(_("The visit was cancelled."), "success")
    return redirect(url_for("scheduling.show_visit", visit_id=visit_id))
