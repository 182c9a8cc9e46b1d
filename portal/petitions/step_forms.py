"""Which steps a user may take on a petition now, and their forms (one prefix each, so that
several forms sit on one page without their fields' ids meeting)."""
from __future__ import annotations

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.petitions.forms import (
    AnswerForm,
    DecideForm,
    EscalateForm,
    ExtensionDecisionForm,
    ExtensionForm,
    ReviewAnswerForm,
    ReviewRequestForm,
    TakeForm,
    TransferForm,
)
from portal.petitions.models import OPEN_STATES, Petition
from portal.petitions.steps import may_move, may_record_review_request
from portal.petitions.units import Unit, handles, may_approve, unit_choices

FORMS = {
    "take": TakeForm,
    "decide": DecideForm,
    "extend": ExtensionForm,
    "extension": ExtensionDecisionForm,
    "answer": AnswerForm,
    "review": ReviewRequestForm,
    "review_answer": ReviewAnswerForm,
    "transfer": TransferForm,
    "escalate": EscalateForm,
}


def _extension_steps(petition: Petition, access, user) -> list[str]:
    pending = next((x for x in petition.extensions if x.status == "pending"), None)
    extended = any(x.status == "approved" for x in petition.extensions)
    steps = []
    if handles(access, petition) and pending is None and not extended:
        steps.append("extend")
    if pending is not None and may_approve(access, petition) and \
            pending.requested_by_id != user.id:
        steps.append("extension")
    return steps


def available_steps(petition: Petition, access, user) -> list[str]:
    """The steps offered to the user on the petition's page (services check them again)."""
    if not access.can(Permission.HANDLE_PETITIONS):
        return []
    steps = []
    mine = handles(access, petition)
    if petition.is_open and mine and petition.handler_id != user.id:
        steps.append("take")
    if petition.state == "received" and mine:
        steps.append("decide")
    if petition.state == "accepted":
        steps += _extension_steps(petition, access, user)
        if mine:
            steps.append("answer")
    if (petition.state == "answered" and may_record_review_request(access, petition)
            and local_today() <= petition.review_until):
        steps.append("review")
    if petition.state == "under_review" and mine and petition.answered_by_id != user.id:
        steps.append("review_answer")
    if petition.state in OPEN_STATES and may_move(access, petition):
        steps.append("transfer")
        if Unit.of(petition).above() is not None:
            steps.append("escalate")
    return steps


def make_form(step: str, township=None, formdata=None):
    """The form of one step; the transfer form lists every unit but the current one's."""
    cls = FORMS[step]
    kwargs = {"prefix": step}
    if formdata is not None:
        kwargs["formdata"] = formdata
    if cls is TransferForm:
        kwargs["units"] = unit_choices(township)
    return cls(**kwargs)


def step_forms(steps: list[str], petition: Petition, township=None) -> dict:
    forms = {step: make_form(step, township, formdata=None) for step in steps}
    if "transfer" in forms:
        current = Unit.of(petition).value
        forms["transfer"].unit.choices = [c for c in forms["transfer"].unit.choices
                                          if c.value != current]
    return forms
