"""Recording a petition: from staff (visit, letter, phone, 12345 hotline, online system), from a
guardian's portal, or from the public form. Services change the session and never commit; every
petition starts its timeline and its audit trail with `received`.

The steps that follow (acceptance, extension, answer, review, transfer) are in `steps.py`.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.audit.services import record_event
from portal.cases.models import Case
from portal.certificates.models import Certificate
from portal.clock import local_today
from portal.domain import idcard
from portal.domain.petition_deadlines import TimeLimits, acceptance_due
from portal.extensions import db
from portal.late_entry import check_done_date, late_entry_days
from portal.petitions.models import CATEGORIES, CHANNELS, Petition, PetitionEvent
from portal.petitions.units import Unit, unit_exists
from portal.refusals import Refused
from portal.rosters.models import Person
from portal.tenancy import scoped

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CONTENT_MAX = 5000
LATE_CODES = {"date_in_future": "petition_received_future",
              "late_reason_required": "petition_received_late_reason",
              "date_too_old": "petition_received_too_old"}


def limits(config=None) -> TimeLimits:
    """The time limits the portal is configured with (portal/config.py, PETITION_*)."""
    cfg = config if config is not None else current_app.config
    return TimeLimits(
        acceptance_days=int(cfg.get("PETITION_ACCEPTANCE_DAYS", 15)),
        answer_days=int(cfg.get("PETITION_ANSWER_DAYS", 60)),
        extension_max_days=int(cfg.get("PETITION_EXTENSION_MAX_DAYS", 30)),
        review_request_days=int(cfg.get("PETITION_REVIEW_REQUEST_DAYS", 30)),
        review_answer_days=int(cfg.get("PETITION_REVIEW_ANSWER_DAYS", 30)),
        due_soon_days=int(cfg.get("PETITION_DUE_SOON_DAYS", 3)),
    )


def new_reference(day: date) -> str:
    """A reference the petitioner can quote: the day and six random characters."""
    for _attempt in range(20):
        reference = f"XF{day:%Y%m%d}-" + "".join(
            secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
        taken = db.session.scalar(select(Petition.id).where(Petition.reference == reference))
        if taken is None:
            return reference
    raise RuntimeError("no free petition reference")  # 32**6 a day: never in practice


@dataclass
class Subject:
    """What a petition is about; every part optional."""

    township_id: int | None = None
    about_township_staff: bool = False
    unit_kind: str | None = None
    hospital_id: int | None = None
    person_id: int | None = None
    case_id: int | None = None
    certificate_id: int | None = None


@dataclass
class NewPetition:
    """A petition as it is received."""

    channel: str
    category: str
    content: str
    petitioner_name: str
    petitioner_phone: str
    subject: Subject
    unit: Unit
    received_on: date
    petitioner_address: str = ""
    late_reason: str = ""
    filed_by_id: int | None = None


def default_unit(subject: Subject) -> Unit:
    """Where a petition goes when nobody chose: the township's DPF, or the city DPF when it
    concerns no township or the township's own staff."""
    if subject.township_id is None or subject.about_township_staff:
        return Unit("city_dpf")
    return Unit("township_dpf", township_id=subject.township_id)


def check_unit(unit: Unit, subject: Subject, field: str = "unit") -> None:
    """A petition about a township's own staff never goes to a township DPF."""
    if unit.kind == "township_dpf" and subject.about_township_staff:
        raise Refused("petition_staff_to_township", field=field)
    if not unit_exists(unit):
        raise Refused("petition_unit_township" if unit.kind == "township_dpf"
                      else "petition_unit_hospital", field=field)


def check_received_on(day: date, late_reason: str, today: date) -> None:
    """The one rule of dates entered late (portal/late_entry.py), with this area's words."""
    code = check_done_date(day, today=today, reason=late_reason)
    if code is not None:
        raise Refused(LATE_CODES[code], field="late_reason" if code == "late_reason_required"
                      else "received_on", days=late_entry_days())


def _check_new(new: NewPetition, today: date) -> None:
    if new.channel not in CHANNELS or new.category not in CATEGORIES:
        raise Refused("not_allowed_now")
    if not new.content.strip():
        raise Refused("petition_text_required", field="content")
    if not new.petitioner_name.strip():
        raise Refused("petition_text_required", field="petitioner_name")
    if new.subject.about_township_staff and new.subject.township_id is None:
        raise Refused("petition_unit_township", field="township")
    check_unit(new.unit, new.subject)
    check_received_on(new.received_on, new.late_reason, today)


def record_petition(new: NewPetition, *, actor=None, handler_id: int | None = None,
                    today: date | None = None) -> Petition:
    """Record a received petition: its deadline to decide on acceptance starts running."""
    today = today or local_today()
    _check_new(new, today)
    due = acceptance_due(new.received_on, limits())
    s = new.subject
    petition = Petition(
        reference=new_reference(new.received_on), channel=new.channel, category=new.category,
        content=new.content.strip()[:CONTENT_MAX],
        petitioner_name=new.petitioner_name.strip()[:100],
        petitioner_phone=new.petitioner_phone.strip()[:40],
        petitioner_address=new.petitioner_address.strip()[:200],
        filed_by_id=new.filed_by_id,
        received_by_id=None if new.filed_by_id else getattr(actor, "id", None),
        township_id=s.township_id, about_township_staff=s.about_township_staff,
        subject_unit_kind=s.unit_kind, subject_hospital_id=s.hospital_id,
        person_id=s.person_id, case_id=s.case_id, certificate_id=s.certificate_id,
        handler_id=handler_id, state="received", received_on=new.received_on,
        acceptance_due_on=due, due_on=due)
    new.unit.assign_to(petition)
    db.session.add(petition)
    db.session.flush()
    event = PetitionEvent(petition_id=petition.id, happened_on=today,
                          actor_id=getattr(actor, "id", None), action="received",
                          from_state=None, to_state="received",
                          note=(new.late_reason or "").strip()[:2000]
                          if new.received_on < today else "",
                          details={"channel": new.channel, "unit": new.unit.value,
                                   "received_on": new.received_on.isoformat(),
                                   "due_on": due.isoformat()})
    db.session.add(event)
    record_event("petition.received", actor=actor, obj=petition,
                 details={"reference": petition.reference, "channel": new.channel,
                          "unit": new.unit.value, "about_township_staff":
                          s.about_township_staff})
    db.session.flush()
    return petition


# --- what a petition is about, as staff enter it ----------------------------------------------

def resolve_subject(access, subject: Subject, *, case_number: int | None = None,
                    certificate_number: str = "", id_number: str = "") -> Subject:
    """Find the case, certificate and person staff named (through what they may see), and
    fill the township from them; refusals name the field concerned."""
    case = certificate = person = None
    if case_number:
        case = db.session.scalar(scoped(select(Case), access).where(Case.id == case_number))
        if case is None:
            raise Refused("petition_case_unknown", field="case_number")
    number = "".join((certificate_number or "").split()).upper()
    if number:
        certificate = db.session.scalar(scoped(select(Certificate), access)
                                        .where(Certificate.number == number))
        if certificate is None:
            raise Refused("petition_certificate_unknown", field="certificate_number")
    if (id_number or "").strip():
        try:
            parsed = idcard.parse(id_number.strip())
        except ValueError:
            raise Refused("petition_person_unknown", field="id_number") from None
        person = db.session.scalar(scoped(select(Person), access)
                                   .where(Person.id_number == parsed.number))
        if person is None:
            raise Refused("petition_person_unknown", field="id_number")
    return _joined(subject, case, certificate, person)


def _joined(subject: Subject, case, certificate, person) -> Subject:
    persons = {x.person_id for x in (case, certificate) if x is not None}
    if person is not None:
        persons.add(person.id)
    if case is not None and certificate is not None and certificate.case_id != case.id:
        raise Refused("petition_subject_mismatch", field="certificate_number")
    if len(persons) > 1:
        raise Refused("petition_subject_mismatch", field="id_number")
    townships = {x.township_id for x in (case, certificate, person) if x is not None}
    if subject.township_id is not None:
        townships.add(subject.township_id)
    if len(townships) > 1:
        raise Refused("petition_subject_mismatch", field="township")
    subject.township_id = next(iter(townships), None)
    subject.case_id = case.id if case else (certificate.case_id if certificate else None)
    subject.certificate_id = certificate.id if certificate else None
    subject.person_id = next(iter(persons), None)
    return subject
