"""People of a township: list, show, create, edit, reveal; roster reports."""
import json
from dataclasses import replace

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.extensions import db
from portal.pages import Page, capped_count, link_args, paginate
from portal.reference.models import Village
from portal.refusals import Refused
from portal.rosters import bp
from portal.rosters.forms import (
    NOT_REGISTRABLE,
    EndGuardianshipForm,
    PersonFilterForm,
    PersonForm,
    RevealForm,
    SubmitReportForm,
)
from portal.rosters.models import Guardianship, Person, RosterEntry, RosterReport
from portal.rosters.services import (
    create_person,
    end_guardianship,
    record_id_search,
    record_person_view,
    reveal_personal_data,
    snapshot_sha256,
    submit_roster_report,
    update_person,
)
from portal.tenancy import current_access, get_scoped_or_404, require, scoped
from portal.uow import discard


def _visible_villages():
    access = current_access()
    stmt = scoped(select(Village)).order_by(Village.name)
    if not access.whole_township:
        stmt = stmt.where(Village.id.in_(sorted(access.village_ids) or [-1]))
    return db.session.scalars(stmt).all()


def _filtered_persons(form: PersonFilterForm):
    stmt = scoped(select(Person))
    kind, status = form.list_kind.data, form.status.data
    if kind or status:
        entry = select(RosterEntry.id).where(RosterEntry.person_id == Person.id)
        if kind:
            entry = entry.where(RosterEntry.list_kind == kind)
        if status:
            entry = entry.where(RosterEntry.status == status)
        stmt = stmt.where(exists(entry))
    if form.village.data:
        stmt = stmt.where(Person.village_id == form.village.data)
    if form.poverty.data:
        stmt = stmt.where(Person.poverty_registered.is_(form.poverty.data == "yes"))
    if form.mobility.data:
        stmt = stmt.where(Person.mobility == form.mobility.data)
    term = form.search_term
    if form.search_mode == "name":
        stmt = stmt.where(Person.name.like(f"{term}%"))
    elif form.search_mode == "pinyin":
        # The range lets the (township_id, name_pinyin, id) index serve the prefix search
        # under any collation; LIKE keeps the match exact.
        upper = term[:-1] + chr(ord(term[-1]) + 1)
        pinyin = and_(Person.name_pinyin >= term, Person.name_pinyin < upper,
                      Person.name_pinyin.like(f"{term}%"))
        stmt = stmt.where(or_(Person.name_initials.like(f"{term}%"), pinyin))
    elif form.search_mode == "id_tail":
        stmt = stmt.where(Person.id_reversed.like(f"{term[::-1]}%"))
    elif form.search_mode == "id_full":
        stmt = stmt.where(Person.id_number == term)
    return stmt


def _sort_key(form: PersonFilterForm) -> tuple:
    # A name search walks the name index in its own order; everything else lists by pinyin.
    if form.search_mode == "name":
        return (Person.name, Person.id)
    return (Person.name_pinyin, Person.id)


def _page_of(stmt, sort: tuple, number: int, after: int | None, before: int | None) -> Page:
    per_page = current_app.config["PERSONS_PER_PAGE"]
    cap = current_app.config["PERSONS_COUNT_CAP"]
    total = capped_count(stmt, Person.id, cap)
    anchor_id = after or before
    anchor = None
    if anchor_id:
        anchor = db.session.execute(
            scoped(select(*sort).where(Person.id == anchor_id))
        ).first()
    loading = (selectinload(Person.village), selectinload(Person.roster_entries))
    if anchor is not None and after:
        rows = db.session.scalars(
            stmt.where(tuple_(*sort) > tuple(anchor)).order_by(*sort)
            .options(*loading).limit(per_page + 1)
        ).all()
        return Page(max(number, 2), per_page, rows[:per_page], has_next=len(rows) > per_page,
                    has_prev=True, total=min(total, cap), capped=total > cap, keyset=True)
    if anchor is not None and before:
        rows = db.session.scalars(
            stmt.where(tuple_(*sort) < tuple(anchor))
            .order_by(*(column.desc() for column in sort))
            .options(*loading).limit(per_page + 1)
        ).all()
        has_prev = len(rows) > per_page
        items = list(reversed(rows[:per_page]))
        return Page(max(number, 1) if has_prev else 1, per_page, items, has_next=True,
                    has_prev=has_prev, total=min(total, cap), capped=total > cap, keyset=True)
    last_page = max(1, -(-min(total, cap) // per_page))
    number = min(max(number, 1), last_page)
    page = paginate(stmt.order_by(*sort).options(*loading), per_page, number)
    return replace(page, total=min(total, cap), capped=total > cap, keyset=True)


@bp.route("/persons")
@login_required
@require(Permission.VIEW_PERSONS)
def list_persons():
    """The township's people, filtered and searched, a page at a time."""
    villages = _visible_villages()
    access = current_access()
    form = PersonFilterForm(request.args, villages=villages,
                            can_reveal=access.can(Permission.REVEAL_PERSONAL_DATA))
    valid = form.validate()
    if valid and form.id_search_digits:
        # How many characters were searched, never which: the audit must not hold them.
        record_id_search(current_user, access, form.id_search_digits)
    if not valid:
        page = Page(1, current_app.config["PERSONS_PER_PAGE"], [], has_next=False, total=0)
    else:
        page = _page_of(
            _filtered_persons(form), _sort_key(form), request.args.get("page", 1, type=int),
            request.args.get("after", type=int), request.args.get("before", type=int),
        )
    args = link_args(("page", "after", "before")) if valid else {}
    return render_template("rosters/persons.html", form=form, page=page, args=args,
                           today=local_today(),
                           can_edit=access.can(Permission.EDIT_PERSONS))


def _show(person: Person, revealed: bool = False, end_form=None, ending: int | None = None):
    access = current_access()
    can_end = access.can(Permission.INVITE_GUARDIANS)
    guardianships = db.session.scalars(
        scoped(select(Guardianship)).where(Guardianship.person_id == person.id,
                                           Guardianship.ended_at.is_(None))
        .options(selectinload(Guardianship.user)).order_by(Guardianship.id)
    ).all() if can_end else []
    # What other areas show on a person's page (the register's certificate), wired by the
    # app factory: the rosters area imports nothing from the areas above it.
    parts = {}
    for part in current_app.extensions.get("person_page_parts", ()):
        parts.update(part(person))
    return render_template(
        "rosters/person.html", person=person, revealed=revealed, reveal_form=RevealForm(),
        **parts,
        can_reveal=access.can(Permission.REVEAL_PERSONAL_DATA),
        can_edit=access.can(Permission.EDIT_PERSONS), today=local_today(),
        guardianships=guardianships, can_end=can_end,
        end_form=end_form or EndGuardianshipForm(), ending=ending,
    ), (400 if end_form is not None and end_form.errors else 200)


@bp.route("/persons/<int:person_id>/guardianships/<int:guardianship_id>/end",
          methods=["POST"])
@login_required
@require(Permission.VIEW_PERSONS)
def end_guardianship_view(person_id: int, guardianship_id: int):
    """End one guardian's access to the person, with the reason; audited."""
    person = get_scoped_or_404(Person, person_id)
    link = get_scoped_or_404(Guardianship, guardianship_id)
    if link.person_id != person.id:
        abort(404)
    if not current_access().can(Permission.INVITE_GUARDIANS):
        abort(403)
    form = EndGuardianshipForm()
    if not form.validate_on_submit():
        return _show(person, end_form=form, ending=link.id)
    try:
        end_guardianship(link, actor=current_user, reason=form.reason.data)
    except Refused as refusal:
        discard()
        flash(refusal.message, "info")
    else:
        flash(_("The guardian's access has ended."), "success")
    return redirect(url_for("rosters.show_person", person_id=person.id))


@bp.route("/persons/<int:person_id>")
@login_required
@require(Permission.VIEW_PERSONS)
def show_person(person_id: int):
    """One person's record, ID number and phones masked; the view is audited."""
    person = get_scoped_or_404(Person, person_id)
    record_person_view(person, current_user)
    return _show(person)


@bp.route("/persons/<int:person_id>/reveal", methods=["POST"])
@login_required
@require(Permission.REVEAL_PERSONAL_DATA)
def reveal_person(person_id: int):
    """Show the ID number and phones once, on this response only, and audit it."""
    person = get_scoped_or_404(Person, person_id)
    form = RevealForm()
    if not form.validate_on_submit():
        if not form.reason.errors:
            abort(400)  # the CSRF token: not a person's mistake to explain
        for error in form.reason.errors:
            flash(str(error), "danger")
        return redirect(url_for("rosters.show_person", person_id=person.id))
    reveal_personal_data(person, current_user, reason=form.reason.data or "")
    return _show(person, revealed=True)


def _source() -> str:
    return "manual" if current_access().whole_township else "liaison"


def _duplicate_after_race(form: PersonForm) -> None:
    discard()
    # Whoever registered it a moment ago, the answer names no one (see NOT_REGISTRABLE).
    form.id_number.errors = list(form.id_number.errors) + [str(NOT_REGISTRABLE)]


@bp.route("/persons/new", methods=["GET", "POST"])
@login_required
@require(Permission.EDIT_PERSONS)
def new_person():
    """Register a person on the township's lists."""
    access = current_access()
    form = PersonForm(access=access)
    if form.validate_on_submit():
        try:
            # The database refuses an ID number another request registered since the form
            # looked (the savepoint keeps the session usable to show the form again).
            with db.session.begin_nested():
                person = create_person(access.township, current_user, form.to_data(),
                                       _source())
        except IntegrityError:
            _duplicate_after_race(form)
        else:
            _flash_saved(form)
            return redirect(url_for("rosters.show_person", person_id=person.id))
    return render_template("rosters/person_form.html", form=form, person=None)


def _flash_saved(form: PersonForm) -> None:
    flash(_("Saved."), "success")
    if form.parsed.upgraded_from:
        flash(_("The old 15-digit ID number was upgraded to the 18-digit number and stored in "
                "that form."), "info")


@bp.route("/persons/<int:person_id>/edit", methods=["GET", "POST"])
@login_required
@require(Permission.EDIT_PERSONS)
def edit_person(person_id: int):
    """Change a person's record and lists."""
    access = current_access()
    person = get_scoped_or_404(Person, person_id)
    if request.method == "POST":
        form = PersonForm(access=access, person=person)
    else:
        form = PersonForm(access=access, person=person, data=PersonForm.initial(person))
        # The edit form carries the phone numbers in clear: opening it is a reveal.
        reveal_personal_data(person, current_user, ["phone", "guardian_phone"], via="edit")
    if form.validate_on_submit():
        try:
            with db.session.begin_nested():  # as in new_person
                changed = update_person(person, current_user, form.to_data(), _source())
        except IntegrityError:
            _duplicate_after_race(form)
        else:
            if changed:
                _flash_saved(form)
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("rosters.show_person", person_id=person.id))
    return render_template("rosters/person_form.html", form=form, person=person)


# --- roster reports ----------------------------------------------------------------------

def _can_read_reports() -> bool:
    access = current_access()
    return access.can(Permission.SUBMIT_ROSTER_REPORT) or access.can(Permission.VIEW_CITY)


@bp.route("/reports", methods=["GET", "POST"])
@login_required
def list_reports():
    """Roster reports submitted by this township, and the form to submit the lists."""
    if not _can_read_reports():
        abort(403)
    access = current_access()
    can_submit = access.can(Permission.SUBMIT_ROSTER_REPORT)
    form = SubmitReportForm()
    if request.method == "POST":
        if not can_submit:
            abort(403)
        if form.validate_on_submit():
            from portal.reference.services import active_campaign

            campaign = active_campaign()
            report = submit_roster_report(access.township, current_user, access,
                                          (form.note.data or "").strip(), campaign)
            flash(_("The lists were submitted to the city."), "success")
            return redirect(url_for("rosters.show_report", report_id=report.id))
    reports = db.session.scalars(
        scoped(select(RosterReport)).order_by(RosterReport.submitted_at.desc(),
                                              RosterReport.id.desc())
    ).all()
    return render_template("rosters/reports.html", reports=reports, form=form,
                           can_submit=can_submit)


@bp.route("/reports/<int:report_id>")
@login_required
def show_report(report_id: int):
    """One submitted report: counts, fingerprint and the rows as submitted."""
    if not _can_read_reports():
        abort(403)
    report = get_scoped_or_404(RosterReport, report_id)
    intact = snapshot_sha256(report.snapshot) == report.sha256
    return render_template("rosters/report.html", report=report, intact=intact)


@bp.route("/reports/<int:report_id>/download")
@login_required
def download_report(report_id: int):
    """The report as a JSON file: counts, fingerprint and rows (ID numbers masked)."""
    if not _can_read_reports():
        abort(403)
    report = get_scoped_or_404(RosterReport, report_id)
    body = {
        "township": report.township_id,
        "submitted_at": report.submitted_at.isoformat(),
        "counts": {"expired": report.expired_count, "suspected": report.suspected_count,
                   "poverty": report.poverty_count, "bedridden": report.bedridden_count},
        "note": report.note,
        "sha256": report.sha256,
        "rows": report.snapshot,
    }
    name = f"roster-report-{report.id}.json"
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}"',
                 "Cache-Control": "no-store"},
    )
