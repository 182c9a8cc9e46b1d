"""One POST address for the steps of a petition (`/<petition_id>/steps/<step>`): the step's form
is checked, its service called; a refusal goes next to its field on the petition's page and the
request's unit of work rolls back."""
from __future__ import annotations

from flask import abort, flash, g, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from portal.auth.roles import Permission
from portal.extensions import db
from portal.petitions import bp, city_bp, steps
from portal.petitions.models import Petition
from portal.petitions.queries import visible
from portal.petitions.step_forms import FORMS, make_form
from portal.petitions.units import Unit
from portal.petitions.views import ep, render_petition
from portal.refusals import Refused, show_in_form
from portal.tenancy import current_access, get_scoped_or_404, require


def _take(petition, access, form):
    steps.take(petition, access, current_user)
    return _("You have taken this petition on.")


def _decide(petition, access, form):
    accept = form.decision.data == "accept"
    steps.decide_acceptance(petition, access, current_user, accept=accept,
                            note=form.note.data, told_on=form.told_on.data,
                            told_how=form.told_how.data)
    return _("The petition was accepted.") if accept else _("The petition was not accepted.")


def _extend(petition, access, form):
    steps.request_extension(petition, access, current_user, days=form.days.data,
                            reason=form.reason.data)
    return _("The extension was asked for; another official must approve it.")


def _extension(petition, access, form):
    approve = form.decision.data == "approve"
    steps.decide_extension(petition, access, current_user, approve=approve,
                           note=form.note.data)
    return _("The extension was approved.") if approve else _("The extension was declined.")


def _answer(petition, access, form):
    steps.answer(petition, access, current_user, text=form.text.data)
    return _("The answer was recorded.")


def _review(petition, access, form):
    steps.request_review(petition, access, current_user, reason=form.reason.data)
    return _("The review request was recorded; the petition went to the reviewing unit.")


def _review_answer(petition, access, form):
    steps.answer_review(petition, access, current_user, text=form.text.data)
    return _("The review decision was recorded.")


def _transfer(petition, access, form):
    steps.transfer(petition, access, current_user, to=Unit.parse(form.unit.data),
                   reason=form.reason.data)
    return _("The petition was transferred.")


def _escalate(petition, access, form):
    steps.transfer(petition, access, current_user, to=None, reason=form.reason.data,
                   escalate=True)
    return _("The petition was escalated.")


DO = {"take": _take, "decide": _decide, "extend": _extend, "extension": _extension,
      "answer": _answer, "review": _review, "review_answer": _review_answer,
      "transfer": _transfer, "escalate": _escalate}
assert set(DO) == set(FORMS)


@login_required
@require(Permission.HANDLE_PETITIONS)
def take_step(petition_id: int, step: str):
    """Take one step on a petition; the page again, with the refusal, when it is refused."""
    if step not in DO:
        abort(404)
    petition: Petition = get_scoped_or_404(Petition, petition_id)
    access = current_access()
    form = make_form(step, g.get("township"))
    if not form.validate_on_submit():
        return render_petition(petition, forms={step: form}, status=400)
    try:
        done = DO[step](petition, access, form)
    except Refused as refusal:
        show_in_form(form, refusal)
        return render_petition(petition, forms={step: form}, status=refusal.status
                               if refusal.status != 409 else 400)
    flash(done, "success")
    if db.session.scalar(visible(access).where(Petition.id == petition.id)) is None:
        return redirect(url_for(ep("list_petitions")), 303)
    return redirect(url_for(ep("show_petition"), petition_id=petition.id), 303)


for _blueprint in (bp, city_bp):
    _blueprint.add_url_rule("/<int:petition_id>/steps/<step>", "take_step", take_step,
                            methods=["POST"])
