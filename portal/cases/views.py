"""Views of the cases area: list, overdue work, new case, bulk creation, case page, workflow
steps and the printable public notices."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from portal.auth.roles import Permission
from portal.cases import bp
from portal.cases.forms import (
    PAGE_STEPS,
    AssignDoctorForm,
    BulkCaseForm,
    CaseFilterForm,
    EntryFilterForm,
    NewCaseForm,
    StepForm,
)
from portal.cases.labels import CASE_LABELS
from portal.cases.models import OPEN_STATES, Case
from portal.cases.services import (
    ASSIGNABLE_STATES,
    DEFAULT_KIND,
    CaseConflict,
    assign_doctor,
    create_case,
    create_cases_in_bulk,
    deadline_warnings,
    doctor_choices,
    entry_for_kind,
    lock_for_writing,
    open_case_of,
    overdue_condition,
    overdue_page,
    record_appeal,
    take_step,
)
from portal.cases.workflow import allowed_actions
from portal.clock import local_today
from portal.extensions import db
from portal.pages import link_args, paginate
from portal.reference.models import Village
from portal.refusals import Refused, message, show_in_form
from portal.rosters.models import Person, RosterEntry
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.uow import discard, rollback

PER_PAGE = 50
OVERDUE_PER_PAGE = 50
BULK_LIMIT = 200


def _visible_villages():
    access = current_access()
    stmt = scoped(select(Village)).order_by(Village.name)
    if not access.whole_township:
        stmt = stmt.where(Village.id.in_(sorted(access.village_ids) or [-1]))
    return db.session.scalars(stmt).all()


def _render(template: str, **context):
    return render_template(template, CASE_LABELS=CASE_LABELS, **context)


@bp.route("/")
@login_required
@require(Permission.VIEW_CASES)
def list_cases():
    """The township's cases, filtered by state, kind, path, village and deadline."""
    today = local_today()
    form = CaseFilterForm(request.args, villages=_visible_villages())
    stmt = scoped(select(Case)).join(Person, Person.id == Case.person_id)
    if form.validate():
        if form.state.data:
            stmt = stmt.where(Case.state == form.state.data)
        if form.kind.data:
            stmt = stmt.where(Case.kind == form.kind.data)
        if form.path.data:
            stmt = stmt.where(Case.path == form.path.data)
        if form.village.data:
            stmt = stmt.where(Person.village_id == form.village.data)
        if form.origin.data:
            stmt = stmt.where(Case.origin == form.origin.data)
        if form.overdue.data == "yes":
            stmt = stmt.where(overdue_condition(today))
    else:
        stmt = stmt.where(Case.id.is_(None))
    page = paginate(stmt.options(selectinload(Case.person).selectinload(Person.village))
                    .order_by(Case.id.desc()), PER_PAGE)
    access = current_access()
    return _render("cases/list.html", form=form, page=page, args=link_args(), today=today,
                   can_manage=access.can(Permission.MANAGE_CASES))


@bp.route("/overdue")
@login_required
@require(Permission.VIEW_CASES)
def overdue():
    """The township's cases past a deadline, with their age in working days."""
    page = overdue_page(scoped(select(Case)).options(selectinload(Case.person)),
                        OVERDUE_PER_PAGE)
    return _render("cases/overdue.html", items=page.items, page=page)


def _once_more_on_conflict(work):
    """`work()`; if a concurrent write made its transaction unusable (CaseConflict), roll
    back and do it once more from a fresh transaction, which sees what the other one wrote
    (a case registered meanwhile is then refused as such).

    The request's unit of work is rolled back before the second try (only reads came before
    `work`), and still commits once, at the request's end."""
    try:
        return work()
    except CaseConflict:
        rollback()
    lock_for_writing()
    try:
        return work()
    except CaseConflict:
        rollback()
        raise Refused("concurrent_change") from None


@bp.route("/new/<int:person_id>", methods=["GET", "POST"])
@login_required
def new_case(person_id: int):
    """Open a case for one person (from the person's page)."""
    # The person first: someone outside their village learns nothing, not even a 403.
    person = get_scoped_or_404(Person, person_id)
    if not current_access().can(Permission.MANAGE_CASES):
        abort(403)
    existing = open_case_of(person.id)
    form = NewCaseForm()
    if request.method == "GET":
        entries = [e for e in person.roster_entries if e.status != "withdrawn"]
        if entries:
            form.kind.data = DEFAULT_KIND[entries[0].list_kind]
    if form.validate_on_submit():
        try:
            case = _once_more_on_conflict(lambda: create_case(
                current_access().township, current_user, person, kind=form.kind.data,
                path=form.path.data, roster_entry=entry_for_kind(person, form.kind.data),
                note=(form.note.data or "").strip()))
        except Refused as refusal:
            rollback()  # the page below reads what is saved, not what was refused
            flash(refusal.message, "error")
            existing = open_case_of(person.id)
        else:
            flash(_("The case was registered."), "success")
            return redirect(url_for("cases.show_case", case_id=case.id))
    return _render("cases/new.html", form=form, person=person, existing=existing)


def _filtered_entries(form: EntryFilterForm):
    stmt = scoped(select(RosterEntry)).join(Person, Person.id == RosterEntry.person_id)
    if form.list_kind.data:
        stmt = stmt.where(RosterEntry.list_kind == form.list_kind.data)
    if form.status.data:
        stmt = stmt.where(RosterEntry.status == form.status.data)
    if form.village.data:
        stmt = stmt.where(Person.village_id == form.village.data)
    if form.poverty.data:
        stmt = stmt.where(Person.poverty_registered.is_(form.poverty.data == "yes"))
    if form.mobility.data:
        stmt = stmt.where(Person.mobility == form.mobility.data)
    return stmt


@bp.route("/bulk", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_CASES)
def bulk_cases():
    """Tick persons on the roster and open one case for each of them."""
    villages = _visible_villages()
    filters = EntryFilterForm(request.args, villages=villages)
    stmt = _filtered_entries(filters) if filters.validate() else None
    if request.method == "POST":
        posted = request.form.getlist("entries", type=int)
        chosen = db.session.scalars(
            scoped(select(RosterEntry)).where(RosterEntry.id.in_(posted or [-1]))
            .options(selectinload(RosterEntry.person))
        ).all()
        form = BulkCaseForm(entry_ids=[e.id for e in chosen])
        if form.validate_on_submit():
            by_id = {e.id: e for e in chosen}
            selected = [by_id[i] for i in form.entries.data if i in by_id]
            try:
                result = _once_more_on_conflict(lambda: create_cases_in_bulk(
                    current_access().township, current_user, selected,
                    kind=form.kind.data or None, path=form.path.data))
            except Refused as refusal:
                discard()
                flash(refusal.message, "error")
                return redirect(request.full_path)
            # Shown directly, not flashed: the names of refused persons must not travel in the
            # (signed, readable) session cookie. Sending the form again creates nothing twice.
            return _render("cases/bulk_done.html", result=result,
                           refusals=[(p, message(c)) for p, c in result.refused])
        if posted and not chosen:
            form.entries.errors = [_("Tick at least one person.")]
    else:
        form = BulkCaseForm()
    entries, more = [], False
    if stmt is not None:
        rows = db.session.scalars(
            stmt.options(selectinload(RosterEntry.person).selectinload(Person.village))
            .order_by(Person.name_pinyin, RosterEntry.id).limit(BULK_LIMIT + 1)
        ).all()
        entries, more = rows[:BULK_LIMIT], len(rows) > BULK_LIMIT
    with_case = set()
    if entries:
        with_case = set(db.session.scalars(
            select(Case.person_id).where(
                Case.person_id.in_([e.person_id for e in entries]),
                Case.state.in_(sorted(OPEN_STATES)))
        ))
    args = {k: v for k, v in request.args.items() if v}
    return _render("cases/bulk.html", filters=filters, form=form, entries=entries, more=more,
                   limit=BULK_LIMIT, with_case=with_case, args=args)


def _step_forms(case: Case, bound: StepForm | None = None) -> tuple[list, list]:
    access = current_access()
    actions = allowed_actions(case, access)
    forms = []
    for action in PAGE_STEPS:
        if action in actions:
            forms.append(bound if bound is not None and bound.action == action
                         else StepForm(action, formdata=None))
    others = [a for a in actions if a not in PAGE_STEPS]
    return forms, others


def _show(case: Case, bound: StepForm | None = None, status: int = 200,
          doctor_bound: AssignDoctorForm | None = None):
    forms, others = _step_forms(case, bound)
    related = db.session.scalars(
        scoped(select(Case)).where(Case.appeal_of_id == case.id).order_by(Case.id)
    ).all()
    original = None
    if case.appeal_of_id:
        original = db.session.execute(
            scoped(select(Case)).where(Case.id == case.appeal_of_id)
        ).scalar_one_or_none()
    doctor_form = None
    if case.state in ASSIGNABLE_STATES and current_access().can(Permission.SCHEDULE):
        doctor_form = doctor_bound or AssignDoctorForm(doctor_choices(case))
    return _render("cases/show.html", case=case, forms=forms, others=others, related=related,
                   original=original, today=local_today(), warnings=deadline_warnings(case),
                   doctor_form=doctor_form), status


@bp.route("/<int:case_id>")
@login_required
@require(Permission.VIEW_CASES)
def show_case(case_id: int):
    """One case: person (masked), outcome, deadlines, timeline and the steps open now."""
    return _show(get_scoped_or_404(Case, case_id))


@bp.route("/<int:case_id>/doctor", methods=["POST"])
@login_required
@require(Permission.SCHEDULE)
def assign_case_doctor(case_id: int):
    """Give the case its assessing doctor."""
    case = get_scoped_or_404(Case, case_id)
    form = AssignDoctorForm(doctor_choices(case))
    if not form.validate_on_submit() or not form.doctor_id.data:
        if not form.doctor_id.errors:
            form.doctor_id.errors.append(_("Choose a doctor."))
        return _show(case, status=400, doctor_bound=form)
    try:
        assign_doctor(case, form.doctor_id.data, actor=current_user)
    except Refused as refusal:
        show_in_form(form, refusal, "doctor_id")
        return _show(case, status=400, doctor_bound=form)
    flash(_("The assessing doctor is set."), "success")
    return redirect(url_for("cases.show_case", case_id=case.id))


@bp.route("/<int:case_id>/steps/<action>", methods=["POST"])
@login_required
@require(Permission.VIEW_CASES)
def take_case_step(case_id: int, action: str):
    """Take one workflow step on the case (the workflow table decides whether it may)."""
    case = get_scoped_or_404(Case, case_id)
    if action not in PAGE_STEPS:
        abort(404)
    form = StepForm(action)
    if not form.validate_on_submit():
        return _show(case, form, 400)
    data = form.step_data()
    try:
        if action == "appeal":
            new = record_appeal(case, actor=current_user, access=current_access(),
                                note=data["note"], path=form.path.data)
        else:
            take_step(case, action, actor=current_user, access=current_access(), **data)
    except Refused as refusal:
        if refusal.code == "not_permitted":
            abort(403)
        discard()  # the appeal is not kept when its new case is refused
        flash(refusal.message, "error")
        return redirect(url_for("cases.show_case", case_id=case_id))
    flash(_("Done: %(step)s.", step=CASE_LABELS["action"][action]), "success")
    if action == "appeal":
        return redirect(url_for("cases.show_case", case_id=new.id))
    return redirect(url_for("cases.show_case", case_id=case.id))


# --- public notices (公示) ---------------------------------------------------------------

def _publicity_cases():
    return scoped(select(Case)).join(Person, Person.id == Case.person_id).where(
        Case.state == "publicity")


@bp.route("/notices")
@login_required
@require(Permission.VIEW_CASES)
def list_notices():
    """Villages with results on public notice now, each with its printable notice."""
    rows = db.session.execute(
        _publicity_cases().with_only_columns(Person.village_id, Case.id)
    ).all()
    counts: dict[int | None, int] = {}
    for village_id, _case_id in rows:
        counts[village_id] = counts.get(village_id, 0) + 1
    villages = [v for v in _visible_villages() if v.id in counts]
    return _render("cases/notices.html", villages=villages, counts=counts,
                   without_village=counts.get(None, 0))


@bp.route("/notices/<int:village_id>")
@login_required
@require(Permission.VIEW_CASES)
def print_notice(village_id: int):
    """The printable public notice of one village: name, village, category, grade only."""
    village = get_scoped_or_404(Village, village_id)
    cases = db.session.scalars(
        _publicity_cases().where(Person.village_id == village.id)
        .options(selectinload(Case.person)).order_by(Case.publicity_starts_on, Person.name_pinyin)
    ).all()
    groups: dict[tuple, list[Case]] = {}
    for case in cases:
        groups.setdefault((case.publicity_starts_on, case.publicity_ends_on), []).append(case)
    return _render("cases/notice.html", village=village, groups=groups)

