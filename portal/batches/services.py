"""Organised batches: the units' registry, a batch's list, its places, attendance and moves.

A batch is the plan's 分批鉴定 (四（二）): persons of one category (mental illness without
hospital records, intellectual, vision, hearing) taken together by their township or an
assistance unit to a designated hospital on a day. Each person's case takes the batch path and
is scheduled; attended, it waits for the doctor like a concentrated day's; absent, it goes back
to registered until it is moved to a later batch. Services change objects, flush and write audit
events without personal data; the request commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import LazyString, format_date
from sqlalchemy import func, select

from portal.audit.services import record_event
from portal.batches.models import (
    BATCH_CATEGORIES,
    HOLDING_PLACES,
    AssessmentBatch,
    AssistanceUnit,
    AssistanceUnitTownship,
    BatchMember,
    BatchTownship,
)
from portal.cases.models import Case, CaseEvent
from portal.cases.workflow import apply_transition
from portal.extensions import db
from portal.labels import LABELS
from portal.models_base import utcnow
from portal.reference.models import Township
from portal.refusals import Refused
from portal.rls import across_townships
from portal.rosters.models import RosterEntry
from portal.tenancy import Access, scoped

# Paths of persons who travel to be assessed: they may join a batch.
JOINING_PATHS = ("concentrated", "records", "batch")


def _category(code: str):
    return LABELS["category"].get(code, code)


# --- the assistance units' registry --------------------------------------------------------

def create_unit(actor, *, name: str, contact: str, township_ids: list[int],
                kept_by: Township | None) -> AssistanceUnit:
    """Register an assistance unit and the townships it helps (kept by a township or the city)."""
    name = name.strip()
    if not township_ids:
        raise Refused("batch_township_required", field="townships")
    with across_townships(db.session.connection()):
        taken = db.session.execute(select(AssistanceUnit.id)
                                   .where(AssistanceUnit.name == name)).first()
    if taken is not None:
        raise Refused("batch_unit_name_taken", field="name")
    unit = AssistanceUnit(name=name, contact=contact.strip(), created_by_id=actor.id,
                          kept_by_id=kept_by.id if kept_by else None)
    unit.links = [AssistanceUnitTownship(township_id=t) for t in sorted(set(township_ids))]
    db.session.add(unit)
    db.session.flush()
    record_event("batch.unit_created", actor=actor, obj=unit,
                 township_id=kept_by.id if kept_by else None,
                 details={"townships": sorted(set(township_ids))})
    return unit


def units_helping(access: Access) -> list[AssistanceUnit]:
    """The units the user may see (on a township's pages: those helping it), by name."""
    return list(db.session.scalars(scoped(select(AssistanceUnit), access)
                                   .order_by(AssistanceUnit.name)))


def unit_township_ids(unit: AssistanceUnit) -> set[int]:
    """Every township the unit helps (a count of links, no personal data: read across the
    townships, as a township's page sees only its own link)."""
    with across_townships(db.session.connection()):
        return set(db.session.scalars(select(AssistanceUnitTownship.township_id)
                                      .where(AssistanceUnitTownship.unit_id == unit.id)))


# --- batches -------------------------------------------------------------------------------

@dataclass
class BatchData:
    organiser: str  # "township" or "unit"
    category: str
    hospital_id: int
    held_on: date
    places: int
    township_ids: list[int] = field(default_factory=list)
    unit_id: int | None = None
    transport: str = ""
    companions: str = ""
    note: str = ""


def batch_township_ids(batch: AssessmentBatch) -> set[int]:
    """The townships whose persons go with the batch (all of them, whoever asks)."""
    with across_townships(db.session.connection()):
        return set(db.session.scalars(select(BatchTownship.township_id)
                                      .where(BatchTownship.batch_id == batch.id)))


def create_batch(actor, access: Access, data: BatchData,
                 township: Township | None = None) -> AssessmentBatch:
    """Organise a batch: by `township` for its own persons, or by an assistance unit for the
    townships it helps (a township's office may only name itself)."""
    assert data.category in BATCH_CATEGORIES, "the form offers the batch categories only"
    township_ids = sorted(set(data.township_ids))
    if township is not None:
        township_ids = [township.id]
    if not township_ids:
        raise Refused("batch_township_required", field="townships")
    unit = None
    if data.organiser == "unit":
        unit = db.session.scalar(scoped(select(AssistanceUnit), access)
                                 .where(AssistanceUnit.id == (data.unit_id or -1)))
        if unit is None:
            raise Refused("batch_unit_required", field="unit")
        helped = unit_township_ids(unit)
        missing = [t for t in township_ids if t not in helped]
        if missing:
            raise Refused("batch_unit_not_helping", field="unit", unit=unit.name,
                          township=db.session.get(Township, missing[0]).name)
    elif len(township_ids) != 1:
        raise Refused("batch_township_required", field="townships")
    batch = AssessmentBatch(
        made_in_id=township.id if township else None, organiser=data.organiser,
        unit_id=unit.id if unit else None, category=data.category,
        hospital_id=data.hospital_id, held_on=data.held_on, places=data.places,
        transport=data.transport.strip(), companions=data.companions.strip(),
        note=data.note.strip(), created_by_id=actor.id)
    batch.links = [BatchTownship(township_id=t) for t in township_ids]
    db.session.add(batch)
    db.session.flush()
    record_event("batch.created", actor=actor, obj=batch, township_id=batch.made_in_id,
                 details={"townships": township_ids, "category": data.category,
                          "unit": batch.unit_id, "places": data.places,
                          "held_on": data.held_on.isoformat()})
    return batch


def places_taken(batch: AssessmentBatch) -> int:
    """Persons holding a place on the batch, in every township: a count only (a township sees
    its own persons, but the hospital's places are shared)."""
    with across_townships(db.session.connection()):
        return db.session.scalar(select(func.count(BatchMember.id)).where(
            BatchMember.batch_id == batch.id, BatchMember.status.in_(HOLDING_PLACES))) or 0


def update_batch(actor, batch: AssessmentBatch, *, places: int, transport: str,
                 companions: str, note: str, status: str) -> None:
    """Change the places, transport and companion notes or status of a batch."""
    taken = places_taken(batch)
    if places < taken:
        raise Refused("batch_places_below_members", field="places", taken=taken)
    batch.places = places
    batch.transport, batch.companions = transport.strip(), companions.strip()
    batch.note, batch.status = note.strip(), status
    db.session.flush()
    record_event("batch.updated", actor=actor, obj=batch,
                 details={"places": places, "status": status})


def members_of(batch: AssessmentBatch, access: Access) -> list[BatchMember]:
    """The batch's persons the user may see (a township: its own), in village and name order."""
    from portal.reference.models import Village
    from portal.rosters.models import Person

    stmt = (scoped(select(BatchMember), access)
            .join(Case, Case.id == BatchMember.case_id)
            .join(Person, Person.id == Case.person_id)
            .outerjoin(Village, Village.id == Person.village_id)
            .where(BatchMember.batch_id == batch.id)
            .order_by(Person.township_id, Village.name, Person.name_pinyin, BatchMember.id))
    return list(db.session.scalars(stmt))


def has_hospital_records(case: Case) -> bool:
    """Mental illness with hospital records: the plan keeps such persons on the records path."""
    if case.requested_category != "mental":
        return False
    if case.path == "records":
        return True
    return db.session.scalar(select(func.count(RosterEntry.id)).where(
        RosterEntry.person_id == case.person_id, RosterEntry.medical_records.is_(True))) > 0


def on_a_batch(case_ids):
    """SELECT of the case ids that hold a place on some batch."""
    return select(BatchMember.case_id).where(BatchMember.case_id.in_(case_ids),
                                             BatchMember.status == "invited")


def candidates(access: Access):
    """SELECT of the township's cases that may be offered for a batch (the service checks the
    batch's category and the records path, so that the refusal says why)."""
    from portal.rosters.models import Person

    waiting = select(BatchMember.case_id).where(BatchMember.status == "invited")
    return (scoped(select(Case), access).join(Person, Person.id == Case.person_id)
            .where(Case.state == "registered", Case.path.in_(JOINING_PATHS),
                   Case.concentrated_day_id.is_(None), Case.id.not_in(waiting))
            .order_by(Person.name_pinyin, Case.id))


def _check_case(batch: AssessmentBatch, case: Case, townships: set[int]) -> None:
    name = case.person.name
    if case.township_id not in townships:
        raise Refused("batch_wrong_township", field="cases", name=name)
    if has_hospital_records(case):
        raise Refused("batch_records_path", field="cases", name=name)
    if case.requested_category != batch.category:
        raise Refused("batch_wrong_category", field="cases", name=name,
                      category=_category(case.requested_category or ""),
                      batch_category=_category(batch.category))
    held = db.session.execute(on_a_batch([case.id])).first()
    if (case.state != "registered" or case.path not in JOINING_PATHS
            or case.concentrated_day_id is not None or held is not None):
        raise Refused("batch_wrong_state", field="cases", name=name)


def add_cases(actor, access: Access, batch: AssessmentBatch, cases: list[Case]) -> int:
    """Put the cases on the batch (all or none): category, township, records path and places
    checked; each case takes the batch path and is scheduled for the batch's day."""
    if batch.status != "planned":
        raise Refused("batch_not_planned", field="cases")
    townships = batch_township_ids(batch)
    for case in cases:
        _check_case(batch, case, townships)
    # Two offices filling the last places at once: the second waits for the first.
    db.session.execute(select(AssessmentBatch.id).where(AssessmentBatch.id == batch.id)
                       .with_for_update())
    taken = places_taken(batch)
    if taken + len(cases) > batch.places:
        raise Refused("batch_places", field="cases", places=batch.places, taken=taken,
                      wanted=len(cases))
    note = f"{batch.held_on.isoformat()} · {batch.hospital.name}"
    for case in cases:
        row = db.session.scalar(select(BatchMember).where(BatchMember.batch_id == batch.id,
                                                          BatchMember.case_id == case.id))
        if row is None:
            row = BatchMember(township_id=case.township_id, batch_id=batch.id,
                              case_id=case.id, added_by_id=actor.id)
            db.session.add(row)
        row.status, row.recorded_at, row.recorded_by_id = "invited", None, None
        row.previous_path = case.path if case.path != "batch" else row.previous_path or ""
        if case.path != "batch":
            record_event("case.path_changed", actor=actor, obj=case,
                         details={"from": case.path, "to": "batch", "batch": batch.id})
            case.path = "batch"
        apply_transition(case, "schedule", actor=actor, access=access, note=note)
    db.session.flush()
    record_event("batch.persons_added", actor=actor, obj=batch,
                 township_id=cases[0].township_id if cases else None,
                 details={"cases": [c.id for c in cases]})
    return len(cases)


def record_attendance(actor, access: Access, batch: AssessmentBatch,
                      marks: dict[int, str]) -> dict[str, int]:
    """Record attended / absent per member (by member id) of the user's own persons.

    Attended: the case stays scheduled, ready for the doctor, with a timeline entry. Absent:
    the case goes back to registered on the batch path, to be moved to a later batch."""
    totals = {"attended": 0, "absent": 0}
    now = utcnow()
    for member in members_of(batch, access):
        mark = marks.get(member.id)
        if mark not in totals or member.status == "moved":
            continue
        totals[mark] += 1
        if member.status == mark:
            continue
        case = member.case
        member.status, member.recorded_at, member.recorded_by_id = mark, now, actor.id
        note = batch.held_on.isoformat()
        if mark == "absent" and case.state == "scheduled":
            apply_transition(case, "unschedule", actor=actor, access=access, note=note)
        elif mark == "attended":
            if case.state == "registered":
                apply_transition(case, "schedule", actor=actor, access=access, note=note)
            db.session.add(CaseEvent(township_id=case.township_id, case=case,
                                     actor_id=actor.id, action="batch_attended",
                                     from_state=case.state, to_state=case.state, note=note))
    db.session.flush()
    record_event("batch.attendance_recorded", actor=actor, obj=batch,
                 township_id=access.township.id if access.township else None, details=totals)
    return totals


def later_batches(access: Access, batch: AssessmentBatch):
    """SELECT of the planned batches of the same category after this one that the user sees."""
    return (scoped(select(AssessmentBatch), access)
            .where(AssessmentBatch.id != batch.id, AssessmentBatch.status == "planned",
                   AssessmentBatch.category == batch.category,
                   AssessmentBatch.held_on > batch.held_on)
            .order_by(AssessmentBatch.held_on, AssessmentBatch.id))


def move_member(actor, access: Access, member: BatchMember, target: AssessmentBatch) -> None:
    """Move an absent person to a later batch of the same category (places checked there)."""
    if member.status != "absent":
        raise Refused("batch_not_absent", field="member")
    source = member.batch
    later = db.session.scalar(later_batches(access, source)
                              .where(AssessmentBatch.id == target.id))
    if later is None:
        raise Refused("batch_target_not_later", field="target")
    try:
        add_cases(actor, access, target, [member.case])
    except Refused as refusal:
        refusal.field = "target"
        raise
    member.status, member.moved_to_id = "moved", target.id
    member.recorded_at, member.recorded_by_id = utcnow(), actor.id
    db.session.flush()
    record_event("batch.person_moved", actor=actor, obj=source,
                 township_id=member.township_id,
                 details={"case": member.case_id, "to_batch": target.id})


def date_text(day: date):
    return LazyString(format_date, day, "long")
