"""Opening a case for a person who applies on their own: a walk-in application at the township
(a new person or one found by full ID number, never put on a survey list), or an in-person
assessment booked directly at a designated hospital on a chosen day. Both become ordinary
cases (`create_case`) and go through the one workflow; services never commit."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit.services import record_event
from portal.cases.models import Case
from portal.cases.services import create_case, entry_for_kind
from portal.cases.workflow import apply_transition
from portal.clock import local_today
from portal.extensions import db
from portal.reference.models import Hospital, Township
from portal.refusals import Refused
from portal.rosters.models import Person
from portal.rosters.services import PersonData, create_person, find_id_owner
from portal.tenancy import Access, scoped

# How far ahead a hospital assessment may be booked.
BOOKING_MAX_DAYS = 90


@dataclass
class Application:
    """What the person applies for and how they are to be assessed."""

    kind: str
    path: str
    note: str = ""
    requested_category: str | None = None
    hospital_id: int | None = None
    booked_on: date | None = None

    @property
    def origin(self) -> str:
        return "hospital_booking" if self.path == "hospital" else "walk_in"


def check_booking(app: Application, today: date | None = None) -> None:
    """Refuse a hospital booking that cannot be made as given, next to its field."""
    if app.path != "hospital":
        return
    today = today or local_today()
    if app.hospital_id is None or db.session.get(Hospital, app.hospital_id) is None:
        raise Refused("booking_hospital_required", field="hospital_id")
    if app.booked_on is None:
        raise Refused("booking_date_required", field="booked_on")
    if app.booked_on < today:
        raise Refused("booking_in_past", field="booked_on")
    if (app.booked_on - today).days > BOOKING_MAX_DAYS:
        raise Refused("booking_too_far", field="booked_on")


def find_person(access: Access, id_number: str) -> tuple[Person | None, bool]:
    """The person registered with this full ID number: (person, False) when the user may see
    them in this township; (None, True) when the number is registered out of the user's
    sight (nothing about where is said); (None, False) when it is not registered at all."""
    owner = find_id_owner(id_number)
    if owner is None:
        return None, False
    person = None
    if owner.township_id == access.township.id:
        person = db.session.scalars(
            scoped(select(Person), access).where(Person.id == owner.person_id)).first()
    return person, person is None


def open_walk_in(township: Township, actor, access: Access, app: Application, *,
                 person: Person | None = None, new_person: PersonData | None = None,
                 today: date | None = None) -> Case:
    """Register a new person (when `new_person` is given: on no list) and open their case;
    a hospital booking is scheduled at once for the booked day."""
    check_booking(app, today)
    if person is None:
        try:
            with db.session.begin_nested():
                person = create_person(township, actor, new_person, source="walk_in")
        except IntegrityError:  # the same ID number was registered meanwhile
            raise Refused("id_registered_meanwhile", field="id_number") from None
    case = create_case(township, actor, person, kind=app.kind, path=app.path,
                       roster_entry=entry_for_kind(person, app.kind), note=app.note,
                       requested_category=app.requested_category, origin=app.origin)
    if app.origin == "hospital_booking":
        case.hospital_id, case.booked_on = app.hospital_id, app.booked_on
        apply_transition(case, "schedule", actor=actor, access=access, note=app.note)
        record_event("case.hospital_booking", actor=actor, obj=case, details={
            "hospital": app.hospital_id, "booked_on": app.booked_on.isoformat()})
    db.session.flush()
    return case


def hospitals() -> list[Hospital]:
    """The designated hospitals (reference data shared by all townships)."""
    return db.session.scalars(select(Hospital).order_by(Hospital.name)).all()
