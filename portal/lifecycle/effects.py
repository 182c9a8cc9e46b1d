"""Where a certificate's life meets the case workflow (rules named by the table in
portal/cases/workflow.py) and the print path:

- `approve_new_card` (registered → approved): the city's approval of a new card of a held
  certificate, taken only from a request's page (guard `through_certificate_life`); its
  effect `number_new_card` gives the case the certificate's own number, category and grade;
- the handover (`issue`) first runs `retire_replaced_card`: a new card voids the card it
  replaces and completes its request; a category or grade change's new certificate cancels
  the old one (reason "reassessed");
- a print batch gives a new card its certificate's dates (not the batch's issue date).
"""
from __future__ import annotations

from sqlalchemy import select

from portal.cases.effects import effect, guard
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


@guard("through_certificate_life")
def _through_certificate_life(case, actor, data: dict) -> str | None:
    """A new card of a held certificate is approved only on its request's page."""
    return None if data.get("via") == VIA and case.path == REISSUE_PATH else \
        "use_certificate_life_pages"


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


# A print batch gives a new card its certificate's dates.
if _new_card_dates not in PRINT_BATCH_HOOKS:
    PRINT_BATCH_HOOKS.append(_new_card_dates)
