"""Pages of the cadres' work lists: the township's assignments (who has no cadre, which cadres
did nothing lately, a person's history), and a cadre's own list with its contacts."""
from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.audit.services import record_event
from portal.auth.roles import Permission, Role
from portal.cadres import bp
from portal.cadres.forms import CONTACT_LABELS, STEP_LABELS, AssignForm, ContactForm
from portal.cadres.services import (
    IDLE_DAYS,
    assign,
    assignment_history,
    cadre_rows,
    cadres_of,
    contacts_of,
    next_step,
    open_assignment,
    persons_without_cadre,
    record_contact,
    work_list,
)
from portal.clock import local_today
from portal.extensions import db
from portal.refusals import Refused, show_in_form
from portal.rosters.models import Person
from portal.tenancy import current_access, get_scoped_or_404, refuse, require


def _cadre_name(user) -> str:
    return user.display_name or user.username


def _assign_form(persons) -> AssignForm:
    cadres = [(u.id, _cadre_name(u)) for u in cadres_of(g.township.id)]
    return AssignForm([(p.id, p.name) for p in persons], cadres)


def _not_a_cadre(person_id: int | None = None):
    """The cadres' own pages, asked for by the township office: its page of the same."""
    if not current_access().can(Permission.MANAGE_CASES):
        abort(403)
    if person_id is None:
        return redirect(url_for("cadres.overview"))
    return redirect(url_for("cadres.person", person_id=person_id))


@bp.route("/", methods=["GET", "POST"])
@login_required
@require(Permission.MANAGE_CASES)
def overview():
    """Poverty-registered persons without a cadre (with the form that assigns them), and each
    cadre with their persons and latest contact; those idle for 14 days stand out."""
    access = current_access()
    today = local_today()
    without = list(db.session.scalars(persons_without_cadre(access)))
    form = _assign_form(without)
    if form.validate_on_submit():
        chosen = {p.id: p for p in without}
        try:
            for person_id in form.person_ids.data:
                assign(chosen[person_id], form.cadre_id.data, actor=current_user,
                       access=access, today=today)
        except Refused as refusal:
            show_in_form(form, refusal, "person_ids")
        else:
            flash(_("%(n)s persons were assigned.", n=len(form.person_ids.data)), "success")
            return redirect(url_for("cadres.overview"))
    rows = cadre_rows(access)
    return render_template("cadres/overview.html", form=form, without=without, rows=rows,
                           idle=[r for r in rows if r.idle(today)], idle_days=IDLE_DAYS,
                           name_of=_cadre_name), 422 if form.errors else 200


@bp.route("/persons/<int:person_id>", methods=["GET", "POST"])
@login_required
def person(person_id: int):
    """A person's cadres (open and past), their contacts, and reassignment."""
    access = current_access()
    # The person first: someone outside their village learns nothing, not even a 403.
    found = get_scoped_or_404(Person, person_id)
    if not access.can(Permission.MANAGE_CASES):
        abort(403)
    form = _assign_form([found])
    form.person_ids.data = [found.id]
    if form.validate_on_submit():
        try:
            assign(found, form.cadre_id.data, actor=current_user, access=access,
                   today=local_today())
        except Refused as refusal:
            show_in_form(form, refusal, "cadre_id")
        else:
            flash(_("The cadre was changed; the earlier one stays in the history."), "success")
            return redirect(url_for("cadres.person", person_id=found.id))
    record_event("person.view", actor=current_user, obj=found, details={"page": "cadres"})
    return render_template(
        "cadres/person.html", person=found, form=form,
        current=open_assignment(found.id, access), history=assignment_history(found.id, access),
        contacts=contacts_of(found.id, access), step=next_step(found, access, local_today()),
        name_of=_cadre_name, step_labels=STEP_LABELS, contact_labels=CONTACT_LABELS,
    ), 422 if form.errors else 200


@bp.route("/mine")
@login_required
def mine():
    """The cadre's assigned persons, each with what is next and the last contact (the
    township office is taken to its own page of the cadres)."""
    if Role.POVERTY_CADRE not in current_access().roles:
        return _not_a_cadre()
    rows = work_list(current_access(), local_today())
    return render_template("cadres/mine.html", rows=rows, step_labels=STEP_LABELS)


@bp.route("/mine/<int:person_id>", methods=["GET", "POST"])
@login_required
def contact(person_id: int):
    """One assigned person: what is next, the contacts so far, and a new contact."""
    access = current_access()
    found = get_scoped_or_404(Person, person_id)
    if Role.POVERTY_CADRE not in access.roles:
        return _not_a_cadre(found.id)
    assignment = open_assignment(found.id, access)
    if assignment is None or assignment.user_id != current_user.id:
        refuse("a person not assigned to this cadre")
    form = ContactForm()
    if not form.is_submitted():
        form.contacted_on.data = local_today()
    if form.validate_on_submit():
        try:
            record_contact(found, actor=current_user, access=access,
                           contacted_on=form.contacted_on.data, how=form.how.data,
                           note=form.note.data or "", today=local_today())
        except Refused as refusal:
            show_in_form(form, refusal, "note")
        else:
            flash(_("The contact was recorded."), "success")
            return redirect(url_for("cadres.mine"))
    record_event("person.view", actor=current_user, obj=found, details={"page": "cadre"})
    return render_template(
        "cadres/contact.html", person=found, form=form, contacts=contacts_of(found.id, access),
        step=next_step(found, access, local_today()), step_labels=STEP_LABELS,
        contact_labels=CONTACT_LABELS), 422 if form.errors else 200
