"""Cadres' work lists (二（三）: 驻村干部、第一书记 help poverty-registered persons through the
process): assignments with their history, what is next for each assigned person, contacts,
and the township's lists of persons without a cadre and of cadres with nothing done lately.

Services change state and record audit events; the request commits.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from portal.audit.services import record_event
from portal.auth.models import Membership, User
from portal.auth.roles import Role
from portal.batches.models import AssessmentBatch, BatchMember
from portal.cadres.models import CONTACT_WAYS, CadreContact
from portal.cases.models import OPEN_STATES, Case
from portal.extensions import db
from portal.guardian.services import documents_checklist, next_appointment
from portal.refusals import Refused
from portal.rosters.models import Person, PovertyAssignment
from portal.tenancy import Access, scoped

# A cadre with assigned persons and no contact recorded for this many days is listed.
IDLE_DAYS = 14


# --- assignments --------------------------------------------------------------------------

def cadres_of(township_id: int) -> list[User]:
    """The poverty-relief cadres and first secretaries of the township, by name."""
    return list(db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.POVERTY_CADRE.value,
               Membership.township_id == township_id, User.active.is_(True))
        .order_by(User.display_name, User.username)))


def open_assignment(person_id: int, access: Access) -> PovertyAssignment | None:
    return db.session.scalars(scoped(select(PovertyAssignment), access).where(
        PovertyAssignment.person_id == person_id,
        PovertyAssignment.ended_on.is_(None))).one_or_none()


def assign(person: Person, cadre_id: int, *, actor, access: Access,
           today: date) -> PovertyAssignment:
    """Give `person` to the cadre; a person who had another cadre is reassigned (the old
    assignment ends today and stays in the history)."""
    if not person.poverty_registered:
        raise Refused("cadre_person_not_poverty", field="person_ids", name=person.name)
    if cadre_id not in {u.id for u in cadres_of(person.township_id)}:
        raise Refused("cadre_not_a_cadre", field="cadre_id")
    current = open_assignment(person.id, access)
    if current is not None and current.user_id == cadre_id:
        raise Refused("cadre_already_assigned", field="cadre_id", name=person.name)
    if current is not None:
        current.ended_on = today
        current.ended_by_id = actor.id
        db.session.flush()  # the open row ends before the new one opens (one open per person)
    assignment = PovertyAssignment(township_id=person.township_id, user_id=cadre_id,
                                   person_id=person.id, started_on=today,
                                   assigned_by_id=actor.id)
    db.session.add(assignment)
    db.session.flush()
    record_event("cadre.assigned" if current is None else "cadre.reassigned", actor=actor,
                 obj=assignment, details={
                     "person_id": person.id, "cadre_id": cadre_id,
                     "previous_cadre_id": current.user_id if current else None})
    return assignment


def assignment_history(person_id: int, access: Access) -> list[PovertyAssignment]:
    """Who had the person, newest first."""
    return list(db.session.scalars(scoped(select(PovertyAssignment), access).where(
        PovertyAssignment.person_id == person_id)
        .order_by(PovertyAssignment.id.desc())))


# --- contacts -----------------------------------------------------------------------------

def record_contact(person: Person, *, actor, access: Access, contacted_on: date, how: str,
                   note: str, today: date) -> CadreContact:
    """A visit or a call of the cadre with an assigned person."""
    assignment = open_assignment(person.id, access)
    if assignment is None or assignment.user_id != actor.id:
        raise Refused("cadre_not_assigned", status=404)
    if how not in CONTACT_WAYS:
        raise Refused("cadre_contact_way", field="how")
    if contacted_on > today:
        raise Refused("cadre_contact_in_future", field="contacted_on")
    contact = CadreContact(township_id=person.township_id, person_id=person.id,
                           user_id=actor.id, contacted_on=contacted_on, how=how,
                           note=note.strip())
    db.session.add(contact)
    db.session.flush()
    record_event("cadre.contact", actor=actor, obj=contact,
                 details={"person_id": person.id, "how": how})
    return contact


def contacts_of(person_id: int, access: Access) -> list[CadreContact]:
    return list(db.session.scalars(scoped(select(CadreContact), access).where(
        CadreContact.person_id == person_id)
        .order_by(CadreContact.contacted_on.desc(), CadreContact.id.desc())))


# --- what is next for a person ------------------------------------------------------------

@dataclass
class NextStep:
    """What the person has to do next, as the cadre tells them."""

    kind: str  # collect, attend, documents, waiting, apply, none
    on: date | None = None
    where: str = ""
    missing: list[str] = field(default_factory=list)
    case: Case | None = None


def _open_case(person_id: int, access: Access) -> Case | None:
    return db.session.scalars(scoped(select(Case), access).where(
        Case.person_id == person_id, Case.state.in_(sorted(OPEN_STATES)))
        .order_by(Case.id.desc()).limit(1)).first()


def _batch_date(case: Case, access: Access, today: date) -> tuple[date, str] | None:
    row = db.session.execute(
        scoped(select(AssessmentBatch), access)
        .join(BatchMember, BatchMember.batch_id == AssessmentBatch.id)
        .where(BatchMember.id.in_(scoped(select(BatchMember.id), access)),
               BatchMember.case_id == case.id, BatchMember.status == "invited",
               AssessmentBatch.held_on >= today)
        .order_by(AssessmentBatch.held_on).limit(1)).scalars().first()
    return (row.held_on, row.hospital.name) if row is not None else None


def next_step(person: Person, access: Access, today: date) -> NextStep:
    """The first thing to do: collect a certificate waiting at the township, attend a date,
    bring the documents still missing; else the office's turn, or no application yet."""
    case = _open_case(person.id, access)
    if case is None:
        return NextStep("none")
    if case.state == "dispatched":
        return NextStep("collect", case=case)
    dates = []
    appointment = next_appointment(case, access, today)
    if appointment is not None:
        dates.append((appointment.on, "、".join(appointment.hospitals) or appointment.address))
    batch = _batch_date(case, access, today)
    if batch is not None:
        dates.append(batch)
    if dates:
        on, where = min(dates)
        return NextStep("attend", on=on, where=where, case=case)
    if case.state in ("registered", "scheduled"):
        missing = [item.label for item in documents_checklist(case, access, today)
                   if not item.received]
        if missing:
            return NextStep("documents", missing=missing, case=case)
    return NextStep("waiting", case=case)


@dataclass
class WorkRow:
    person: Person
    step: NextStep
    last_contact: date | None


def work_list(access: Access, today: date) -> list[WorkRow]:
    """The cadre's assigned persons with what is next and their last contact."""
    from portal.access import assigned_person_ids  # portal.access imports every model

    persons = db.session.scalars(scoped(select(Person), access).where(
        Person.id.in_(assigned_person_ids(access.user_id))).order_by(Person.name, Person.id))
    last = dict(db.session.execute(
        scoped(select(CadreContact.person_id, func.max(CadreContact.contacted_on)), access)
        .where(CadreContact.user_id == access.user_id)
        .group_by(CadreContact.person_id)).all())
    return [WorkRow(p, next_step(p, access, today), last.get(p.id)) for p in persons]


# --- the township's lists -----------------------------------------------------------------

def persons_without_cadre(access: Access):
    """Poverty-registered persons of the township with no open assignment (a statement)."""
    return (scoped(select(Person), access)
            .where(Person.poverty_registered.is_(True), Person.deceased.is_(False),
                   ~Person.id.in_(select(PovertyAssignment.person_id)
                                  .where(PovertyAssignment.ended_on.is_(None))))
            .order_by(Person.name, Person.id))


@dataclass
class CadreRow:
    cadre: User
    persons: list[Person]
    last_contact: date | None
    # Since when the cadre has had someone: the start of their oldest open assignment (None
    # for assignments made before the history was kept: long ago).
    assigned_since: date | None

    @property
    def assigned(self) -> int:
        return len(self.persons)

    def idle(self, today: date) -> bool:
        """Persons assigned for 14 days or more, and no contact in the last 14 days."""
        if not self.persons:
            return False
        latest = max((d for d in (self.last_contact, self.assigned_since) if d), default=None)
        return latest is None or latest < today - timedelta(days=IDLE_DAYS)


def cadre_rows(access: Access) -> list[CadreRow]:
    """Each cadre of the township with their open assignments' persons, since when they have
    had them, and their latest contact."""
    township_id = access.township.id
    open_rows = db.session.execute(
        scoped(select(PovertyAssignment.user_id, PovertyAssignment.started_on, Person), access)
        .join(Person, Person.id == PovertyAssignment.person_id)
        .where(PovertyAssignment.ended_on.is_(None))
        .order_by(Person.name, Person.id)).all()
    persons: dict[int, list[Person]] = {}
    since: dict[int, date | None] = {}
    for user_id, started_on, person in open_rows:
        persons.setdefault(user_id, []).append(person)
        if user_id not in since or started_on is None:
            since[user_id] = started_on
        elif since[user_id] is not None:
            since[user_id] = min(since[user_id], started_on)
    last = dict(db.session.execute(
        scoped(select(CadreContact.user_id, func.max(CadreContact.contacted_on)), access)
        .group_by(CadreContact.user_id)).all())
    return [CadreRow(u, persons.get(u.id, []), last.get(u.id), since.get(u.id))
            for u in cadres_of(township_id)]
