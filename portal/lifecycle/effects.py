"""Where a certificate's life meets the case workflow and the print path, registered when the
area is loaded:

- `approve_new_card` (registered → approved): the city's approval of a new card of a held
  certificate, taken only from a request's page; its effect `number_new_card` gives the case
  the certificate's own number, category and grade;
- the handover (`issue`) first runs `retire_replaced_card`: a new card voids the card it
  replaces and completes its request; a category or grade change's new certificate cancels
  the old one (reason "reassessed");
- a print batch gives a new card its certificate's dates (not the batch's issue date).
"""
from __future__ import annotations

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.cases.effects import effect
from portal.cases.workflow import BY_ACTION, REFUSALS, Transition
from portal.certificates.models import Certificate
from portal.certificates.services import PRINT_BATCH_HOOKS
from portal.extensions import db
from portal.lifecycle.cancellations import record_reassessed
from portal.lifecycle.reissue import (
    REISSUE_KIND,
    REISSUE_PATH,
    VIA,
    finish_new_card,
    keep_card_dates,
    request_of_case,
)
from portal.models_base import utcnow


def _through_certificate_life(case, actor, data: dict) -> str | None:
    return None if data.get("via") == VIA and case.path == REISSUE_PATH else \
        "use_certificate_life_pages"


REFUSALS.setdefault("use_certificate_life_pages", _l(
    "A new card of a held certificate is approved on the request's page."))


@effect("number_new_card")
def number_new_card(case, actor, data: dict) -> None:
    """A new card keeps its certificate's number, category and grade; approved by the city."""
    request = data["request"]
    case.certificate_number = request.certificate_number
    case.category, case.grade = request.category, request.grade
    case.approved_by_id = actor.id
    case.approved_at = utcnow()


@effect("retire_replaced_card")
def retire_replaced_card(case, actor, data: dict) -> None:
    """A new card voids the card it replaces; a category or grade change's new certificate
    cancels the old one."""
    certificate = data["certificate"]
    if case.kind == REISSUE_KIND and case.path == REISSUE_PATH:
        finish_new_card(case, certificate, actor, data["today"])
    elif case.kind == "change":
        record_reassessed(case, certificate, actor, data["today"])


def _new_card_dates(batch) -> None:
    certificates = db.session.scalars(select(Certificate).where(
        Certificate.print_batch_id == batch.id)).all()
    for certificate in certificates:
        if certificate.case.path != REISSUE_PATH:
            continue
        request = request_of_case(certificate.case)
        if request is not None:
            keep_card_dates(certificate, request)
    db.session.flush()


def register() -> None:
    """Add the area's step, effect and print hook (once)."""
    if "approve_new_card" not in BY_ACTION:
        BY_ACTION["approve_new_card"] = Transition(
            "approve_new_card", frozenset({"registered"}), "approved", Permission.APPROVE_CASES,
            (_through_certificate_life,), ("number_new_card",))
    issue = BY_ACTION["issue"]
    if "retire_replaced_card" not in issue.effects:
        BY_ACTION["issue"] = replace(issue, effects=("retire_replaced_card",) + issue.effects)
    if _new_card_dates not in PRINT_BATCH_HOOKS:
        PRINT_BATCH_HOOKS.append(_new_card_dates)


register()
