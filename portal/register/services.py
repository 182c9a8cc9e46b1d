"""Writing the register: one rule for every source (import, by hand, handover).

Services change state and never commit; the request or command commits once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from portal.audit.services import record_event
from portal.clock import local_today
from portal.domain.certificate import CertificateNumberError, parse_number
from portal.domain.idcard import IdNumber
from portal.extensions import db
from portal.reference.models import Township, Village
from portal.refusals import Refused
from portal.register.models import HolderEntry
from portal.rosters.models import Person
from portal.rosters.services import find_id_owner, identity_fields, name_keys


@dataclass(frozen=True)
class Holding:
    """A certificate as a source states it (already validated)."""

    certificate_number: str
    category: str
    grade: int
    issued_on: date | None
    expires_on: date

    FIELDS = ("certificate_number", "category", "grade", "issued_on", "expires_on")


def certificate_problem(id_number: str, number: str, category: str | None,
                        grade: int | None) -> str | None:
    """Why a certificate number does not belong with the ID number, category and grade (a
    reason code of portal/imports/messages.py), or None when it does."""
    try:
        parsed = parse_number(number)
    except CertificateNumberError as exc:
        return "certificate_id_mismatch" if exc.code == "id_number" else "certificate_invalid"
    if parsed.id_number != id_number:
        return "certificate_id_mismatch"
    if category is not None and parsed.category != category:
        return "certificate_category_mismatch"
    if grade is not None and parsed.grade != grade:
        return "certificate_grade_mismatch"
    return None


def entry_of(person: Person) -> HolderEntry | None:
    return db.session.execute(
        select(HolderEntry).where(HolderEntry.person_id == person.id)).scalar_one_or_none()


def outcome_of(entry: HolderEntry | None, holding: Holding, source: str) -> str:
    """What recording `holding` would do: 'new', 'unchanged', 'kept' (the register holds a
    later certificate from another source, which wins; an official entering a card by hand
    always wins) or 'updated'."""
    if entry is None:
        return "new"
    if all(getattr(entry, key) == getattr(holding, key) for key in Holding.FIELDS):
        return "unchanged"
    if source != "manual" and entry.source != source and entry.expires_on > holding.expires_on:
        return "kept"
    return "updated"


def record_holding(person: Person, holding: Holding, source: str, actor, *,
                   certificate_id: int | None = None, today: date | None = None,
                   entry: HolderEntry | None = None, known: bool = False) -> str:
    """Put `holding` into the register as the person's current certificate; the person's
    certificate fields follow. Returns the outcome (see `outcome_of`).

    A certificate replacing one that had already expired (on `today`) keeps that expiry in
    `replaced_expires_on`: the person was an expired holder, now renewed.
    """
    today = today or local_today()
    if not known:
        entry = entry_of(person)
    outcome = outcome_of(entry, holding, source)
    if outcome in ("unchanged", "kept"):
        return outcome
    if entry is None:
        entry = HolderEntry(township_id=person.township_id, person_id=person.id)
        db.session.add(entry)
        if person.certificate_expires_on and person.certificate_expires_on <= today \
                and holding.expires_on > person.certificate_expires_on:
            entry.replaced_expires_on = person.certificate_expires_on
    elif entry.expires_on <= today < holding.expires_on:
        entry.replaced_expires_on = entry.expires_on
    for key in Holding.FIELDS:
        setattr(entry, key, getattr(holding, key))
    entry.source = source
    entry.certificate_id = certificate_id
    entry.recorded_by_id = getattr(actor, "id", None)
    person.certificate_number = holding.certificate_number
    person.certificate_category = holding.category
    person.certificate_grade = holding.grade
    person.certificate_expires_on = holding.expires_on
    return outcome


def village_for(township: Township, name: str | None) -> Village | None:
    """The township's village of that name, added when new (None for no name)."""
    if not name:
        return None
    village = db.session.execute(select(Village).where(
        Village.township_id == township.id, Village.name == name)).scalar_one_or_none()
    if village is None:
        village = Village(township_id=township.id, name=name)
        db.session.add(village)
        db.session.flush()
    return village


def new_person(township: Township, actor, parsed: IdNumber, name: str,
               village_id: int | None, **fields) -> Person:
    """A person who enters the portal as a certificate holder, on no survey list (added to
    the session; flushed by the caller)."""
    pinyin, initials = name_keys(name)
    person = Person(township_id=township.id, name=name, name_pinyin=pinyin,
                    name_initials=initials, village_id=village_id,
                    created_by_id=getattr(actor, "id", None), **identity_fields(parsed),
                    **fields)
    db.session.add(person)
    return person


def add_holder(township: Township, actor, *, parsed: IdNumber, name: str, holding: Holding,
               village_name: str = "", phone: str = "", poverty_registered: bool = False
               ) -> tuple[Person, str]:
    """Add one certificate holder by hand: the person is found by ID number (not doubled) or
    created, on no survey list; their certificate joins the register. A certificate that does
    not belong with the ID number, or a person of another township, is refused (the words
    next to the ID number, as the form shows them)."""
    problem = certificate_problem(parsed.number, holding.certificate_number, holding.category,
                                  holding.grade)
    if problem:
        raise Refused(f"holder_{problem}", field="id_number")
    owner = find_id_owner(parsed.number)
    if owner is not None and owner.township_id != township.id:
        raise Refused("holder_elsewhere", field="id_number")
    if owner is not None:
        person = db.session.get(Person, owner.person_id)
    else:
        village = village_for(township, village_name)
        person = new_person(township, actor, parsed, name, village.id if village else None,
                            phone=phone, poverty_registered=poverty_registered)
        db.session.flush()
        record_event("person.create", actor=actor, obj=person,
                     details={"fields": ["holder"], "lists": []})
    outcome = record_holding(person, holding, "manual", actor)
    db.session.flush()
    record_event("holder.recorded", actor=actor, obj=person,
                 details={"source": "manual", "outcome": outcome, "new_person": owner is None})
    return person, outcome


def record_handed_over(certificate, actor, today: date | None = None) -> str:
    """A certificate the portal handed over joins the register (called by the handover,
    before the person's own certificate fields are replaced)."""
    holding = Holding(certificate.number, certificate.category, certificate.grade,
                      certificate.issue_date, certificate.expires_on)
    return record_holding(certificate.person, holding, "handover", actor,
                          certificate_id=certificate.id, today=today)
