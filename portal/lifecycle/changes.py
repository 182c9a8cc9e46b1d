"""Change (变更) of a holder's details: name, address, village, guardian, photo. Registered by
the township with its evidence, checked by the township, approved at the city; the details of
the person change then, and where something printed on the card changed a new card of the
same certificate (same number) is printed, sent and handed over.

A change of category or grade is not a change of details: it is a re-assessment, a case of kind
"change" that goes through the assessment, the grade check and the 公示 like any application,
and ends in a new certificate (the old one cancelled as it is handed over).
"""
from __future__ import annotations

import re
from datetime import date

from portal.audit.services import record_event
from portal.cases.models import Case
from portal.cases.services import create_case, open_case_of
from portal.clock import local_today
from portal.extensions import db
from portal.lifecycle.documents import has_document
from portal.lifecycle.holding import current_holding
from portal.lifecycle.models import CertificateRequest
from portal.lifecycle.requests import new_request
from portal.reference.models import Township, Village
from portal.refusals import Refused
from portal.rosters.models import Person
from portal.rosters.services import name_keys

# What a change may touch, and what of it is printed on the card (a new card then).
CHANGE_FIELDS = ("name", "address", "village", "guardian_name", "guardian_phone")
PRINTED = frozenset({"name", "address", "guardian_name", "photo"})
LIMITS = {"name": 60, "address": 200, "guardian_name": 60, "guardian_phone": 30}
_PHONE = re.compile(r"^[0-9+()\-/ ]{5,30}$")


def _clean(field: str, value: str | None) -> str:
    text = " ".join((value or "").split())
    if field == "name" and (not text or text.isdigit()):
        raise Refused("life_name_invalid", field="name")
    if len(text) > LIMITS.get(field, 200):
        raise Refused("life_text_too_long", field=field, max=LIMITS[field])
    if field == "guardian_phone" and text and not _PHONE.match(text):
        raise Refused("life_phone_invalid", field="guardian_phone")
    return text


def _village(person: Person, village_id: int | None) -> Village | None:
    if not village_id:
        return None
    village = db.session.get(Village, village_id)
    if village is None or village.township_id != person.township_id:
        raise Refused("life_village_unknown", field="village")
    return village


def changes_of(person: Person, values: dict, new_photo: bool) -> dict:
    """{field: {"old": ..., "new": ...}} of what differs from the person's record now."""
    changes: dict = {}
    for field in ("name", "address", "guardian_name", "guardian_phone"):
        if field in values:
            new = _clean(field, values[field])
            old = getattr(person, field) or ""
            if new != old:
                changes[field] = {"old": old, "new": new}
    if "village" in values:
        village = _village(person, values["village"])
        if (village.id if village else None) != person.village_id:
            changes["village"] = {"old": person.village.name if person.village else "",
                                  "new": village.name if village else "",
                                  "new_id": village.id if village else None}
    if new_photo:
        changes["photo"] = {"new": True}
    return changes


def register_change(person: Person, actor, *, values: dict, new_photo: bool = False,
                    note: str = "", today: date | None = None) -> CertificateRequest:
    """Register a change of the holder's details (draft); refused when nothing changes."""
    today = today or local_today()
    holding = current_holding(person)
    if holding is None or not holding.valid_on(today):
        raise Refused("life_no_certificate")
    changes = changes_of(person, values, new_photo)
    if not changes:
        raise Refused("life_nothing_changed")
    request = new_request(person, actor, "change", holding=holding, note=note)
    request.changes = changes
    request.reprint = bool(PRINTED & set(changes))
    db.session.flush()
    return request


def check_submit(request: CertificateRequest) -> None:
    """The change needs its evidence (e.g. the household register page), and a new photo."""
    if not request.documents:
        raise Refused("life_evidence_missing")
    if "photo" in request.changes and not has_document(request, "photo"):
        raise Refused("life_photo_missing")


def apply_changes(request: CertificateRequest, actor) -> list[str]:
    """The person's record takes the approved details; returns the fields changed."""
    person = request.person
    for field, change in request.changes.items():
        if field == "village":
            person.village_id = change.get("new_id")
        elif field == "name":
            person.name = change["new"]
            person.name_pinyin, person.name_initials = name_keys(change["new"])
        elif field != "photo":
            setattr(person, field, change["new"])
    db.session.flush()
    fields = sorted(request.changes)
    record_event("certificate_life.change_applied", actor=actor, obj=person,
                 details={"request_id": request.id, "fields": fields,
                          "new_card": request.reprint})
    return fields


# --- category or grade: a re-assessment case ----------------------------------------------

def open_reassessment(township: Township, actor, person: Person, *, path: str,
                      requested_category: str | None, note: str = "",
                      today: date | None = None) -> Case:
    """Open the re-assessment of a holder whose category or grade changed: a case of kind
    "change" through the whole workflow (assessment, grade check, 公示, city approval)."""
    today = today or local_today()
    holding = current_holding(person)
    if holding is None or not holding.valid_on(today):
        raise Refused("life_no_certificate")
    existing = open_case_of(person.id)
    if existing is not None:
        raise Refused("life_open_case", id=existing.id)
    try:
        case = create_case(township, actor, person, kind="change", path=path,
                           requested_category=requested_category or holding.category,
                           note=note.strip(), origin="walk_in")
    except Refused as exc:
        raise Refused("life_step_refused", reason=exc.message) from None
    record_event("certificate_life.reassessment_opened", actor=actor, obj=case,
                 details={"person_id": person.id, "path": path})
    return case

