"""The walk-in application page: find the person by full ID number (POST, never in a URL),
then open their case, or register a new person and open theirs."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.roles import Permission
from portal.cases.labels import CASE_LABELS
from portal.cases.services import open_case_of
from portal.cases.views import _once_more_on_conflict
from portal.refusals import Refused, show_in_form
from portal.rosters.forms import NOT_REGISTRABLE
from portal.rosters.services import record_id_search
from portal.tenancy import current_access, require
from portal.uow import rollback
from portal.walkins import bp
from portal.walkins.forms import WalkInForm
from portal.walkins.services import find_person, hospitals, open_walk_in


def _render(form, *, stage, person=None, existing=None, status=200):
    return render_template("walkins/new.html", form=form, stage=stage, person=person,
                           existing=existing, CASE_LABELS=CASE_LABELS), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_CASES)
def new_walk_in():
    """A person applies on their own: at the township, or for a hospital assessment."""
    access = current_access()
    form = WalkInForm(access=access, hospitals=hospitals())
    if request.method == "GET":
        form.path.data = "concentrated"
        return _render(form, stage="find")
    if not form.id_valid():
        return _render(form, stage="find", status=400)
    person, hidden = find_person(access, form.parsed.number)
    if hidden:
        form.id_number.errors = [str(NOT_REGISTRABLE)]
        return _render(form, stage="find", status=400)
    stage = "existing" if person is not None else "new"
    existing = open_case_of(person.id) if person is not None else None
    # The first step shows what was found; so does a number changed since that step.
    if "open" not in request.form or request.form.get("stage") != stage:
        record_id_search(current_user, access, len(form.parsed.number))  # kept: status 200
        return _render(form, stage=stage, person=person, existing=existing)
    if not form.validate_all(new_person=person is None):
        return _render(form, stage=stage, person=person, existing=existing, status=400)
    try:
        case = _once_more_on_conflict(lambda: open_walk_in(
            access.township, current_user, access, form.application(), person=person,
            new_person=None if person is not None else form.person_data()))
    except Refused as refusal:
        rollback()  # the page below reads what is saved, not what was refused
        if refusal.field:
            show_in_form(form, refusal)
        else:
            flash(refusal.message, "error")
        if person is not None:
            person, _hidden = find_person(access, form.parsed.number)
            existing = open_case_of(person.id) if person is not None else None
        return _render(form, stage=stage, person=person, existing=existing, status=400)
    flash(_("The application was registered as case #%(id)s.", id=case.id), "success")
    return redirect(url_for("cases.show_case", case_id=case.id))
