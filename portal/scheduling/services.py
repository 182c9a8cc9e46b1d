"""Concentrated days (places, attendance, moves) and home visits (booking, team, outcome).

Every state change of a case goes through `apply_transition`; the services change objects,
flush, write audit events without personal data, and leave the commit to the request's unit of
work. A refusal is `Refused("schedule_...")`, its values ready for the message.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from flask_babel import LazyString, format_date
from sqlalchemy import func, select

from portal.audit.services import record_event
from portal.auth.models import Membership, User
from portal.auth.roles import Role
from portal.cases.models import Case
from portal.cases.workflow import apply_transition, refusals_renamed
from portal.extensions import db
from portal.labels import LABELS
from portal.models_base import utcnow
from portal.notices import events
from portal.reference.models import ConcentratedDay, Hospital
from portal.refusals import Refused
from portal.rosters.models import CATEGORIES
from portal.scheduling.models import DayAssignment, HomeVisit, HomeVisitMember
from portal.tenancy import Access, scoped

# Cases that no longer hold their place on a day.
RELEASED_STATES = ("withdrawn", "deceased")
ASSIGNABLE_STATES = ("registered", "scheduled")
# The schedule says why a case cannot be *scheduled* where the workflow speaks of any step.
IN_SCHEDULE = {"wrong_state": "schedule_wrong_state", "not_permitted": "schedule_not_permitted",
               "same_doctor_as_appealed_case": "schedule_same_doctor_as_appealed_case"}


def _transition(case: Case, action: str, **kwargs) -> None:
    with refusals_renamed(IN_SCHEDULE):
        apply_transition(case, action, **kwargs)


def _category(code: str):
    return LABELS["category"].get(code, code)


def _date_taken_refusal(day: date) -> Refused:
    return Refused("schedule_date_taken", field="day",
                   date=LazyString(format_date, day, "long"))


@dataclass
class DayData:
    day: date
    hospital_ids: list[int]
    capacities: dict[str, int]
    status: str = "planned"
    note: str = ""


def assigned_counts(day: ConcentratedDay, access: Access) -> dict[str, int]:
    """Number of cases holding a place on the day, per requested category."""
    stmt = (
        scoped(select(Case.requested_category, func.count(Case.id)), access)
        .where(Case.concentrated_day_id == day.id, Case.state.not_in(RELEASED_STATES))
        .group_by(Case.requested_category)
    )
    counts = {category: 0 for category in CATEGORIES}
    for category, count in db.session.execute(stmt):
        if category in counts:
            counts[category] = count
    return counts


def day_cases(day: ConcentratedDay, access: Access) -> list[Case]:
    """The cases on the day that the user may see, in village and name order."""
    from portal.reference.models import Village
    from portal.rosters.models import Person

    stmt = (
        scoped(select(Case), access)
        .join(Person, Person.id == Case.person_id)
        .outerjoin(Village, Village.id == Person.village_id)
        .where(Case.concentrated_day_id == day.id, Case.state.not_in(RELEASED_STATES))
        .order_by(Village.name, Person.name_pinyin, Case.id)
    )
    return list(db.session.scalars(stmt))


def assignments_of(day: ConcentratedDay, cases: list[Case]) -> dict[int, DayAssignment]:
    """The day's assignment rows of the given cases, by case id."""
    if not cases:
        return {}
    rows = db.session.scalars(
        select(DayAssignment).where(
            DayAssignment.day_id == day.id,
            DayAssignment.case_id.in_([c.id for c in cases]),
        )
    )
    return {row.case_id: row for row in rows}


def current_days(access: Access | None = None):
    """SELECT of the township's concentrated days of the active campaign (and those of no
    campaign); every day when no campaign is active."""
    from portal.campaigns.services import in_active_campaign

    return scoped(select(ConcentratedDay), access).where(
        in_active_campaign(ConcentratedDay.campaign_id))


def _hospitals(ids: list[int]) -> list[Hospital]:
    if not ids:
        return []
    return list(db.session.scalars(select(Hospital).where(Hospital.id.in_(ids))))


def _date_taken(township, day: date, exclude_id: int | None = None) -> bool:
    stmt = select(ConcentratedDay.id).where(
        ConcentratedDay.township_id == township.id, ConcentratedDay.day == day
    )
    if exclude_id is not None:
        stmt = stmt.where(ConcentratedDay.id != exclude_id)
    return db.session.execute(stmt.limit(1)).first() is not None


def create_day(township, actor, data: DayData,
               campaign_id: int | None = None) -> ConcentratedDay:
    """Add a concentrated day to the township, in `campaign_id` (default: the active
    campaign)."""
    if _date_taken(township, data.day):
        raise _date_taken_refusal(data.day)
    if campaign_id is None:
        from portal.campaigns.services import active_campaign

        active = active_campaign()
        campaign_id = active.id if active else None
    day = ConcentratedDay(township_id=township.id, day=data.day, campaign_id=campaign_id)
    _apply_day_data(day, data)
    db.session.add(day)
    db.session.flush()
    record_event("schedule.day_created", actor=actor, obj=day,
                 details={"date": data.day.isoformat()})
    return day


def _apply_day_data(day: ConcentratedDay, data: DayData) -> None:
    day.hospitals = _hospitals(data.hospital_ids)
    for category in CATEGORIES:
        setattr(day, f"capacity_{category}", data.capacities.get(category, 0))
    day.status = data.status
    day.note = data.note


def update_day(township, actor, access: Access, day: ConcentratedDay, data: DayData) -> int:
    """Change a day; a new date moves all its cases with it. Returns the number moved."""
    counts = assigned_counts(day, access)
    over = [c for c in CATEGORIES if data.capacities.get(c, 0) < counts[c]]
    if over:
        raise Refused("schedule_capacity_below_assigned", field=f"capacity_{over[0]}",
                      category=_category(over[0]), assigned=counts[over[0]])
    moved = 0
    if data.day != day.day:
        moved = move_day(township, actor, access, day, data.day)
    _apply_day_data(day, data)
    db.session.flush()
    record_event("schedule.day_updated", actor=actor, obj=day,
                 details={"capacities": {c: day.capacity(c) for c in CATEGORIES},
                          "status": day.status})
    return moved


def move_day(township, actor, access: Access, day: ConcentratedDay, new_date: date) -> int:
    """Move a whole day to a new date; its cases follow (one timeline entry each)."""
    if _date_taken(township, new_date, exclude_id=day.id):
        raise _date_taken_refusal(new_date)
    old_date = day.day
    day.day = new_date
    cases = day_cases(day, access)
    note = f"{old_date.isoformat()} → {new_date.isoformat()}"
    for case in cases:
        if case.state == "scheduled":
            _transition(case, "schedule", actor=actor, access=access, note=note)
    db.session.flush()
    record_event("schedule.day_moved", actor=actor, obj=day,
                 details={"from": old_date.isoformat(), "to": new_date.isoformat(),
                          "cases": len(cases)})
    return len(cases)


def _check_case_for_day(case: Case, township) -> None:
    if case.township_id != township.id:
        raise Refused("schedule_not_found")
    if case.path != "concentrated":
        raise Refused("schedule_wrong_path")
    if case.state not in ASSIGNABLE_STATES:
        raise Refused("schedule_wrong_state")
    if case.requested_category not in CATEGORIES:
        raise Refused("schedule_no_category")


def assign_cases(township, actor, access: Access, day: ConcentratedDay,
                 cases: list[Case]) -> int:
    """Give each case a place on the day, refusing the lot if a category would overflow."""
    for case in cases:
        _check_case_for_day(case, township)
    # Two people filling the last places at once: the second waits for the first (PostgreSQL).
    db.session.execute(select(ConcentratedDay.id).where(ConcentratedDay.id == day.id)
                       .with_for_update())
    counts = assigned_counts(day, access)
    wanted: dict[str, int] = {}
    for case in cases:
        if case.concentrated_day_id != day.id:
            wanted[case.requested_category] = wanted.get(case.requested_category, 0) + 1
    for category, extra in wanted.items():
        free = day.capacity(category) - counts[category]
        if extra > free:
            raise Refused("schedule_capacity", category=_category(category),
                          capacity=day.capacity(category), free=max(free, 0), wanted=extra)
    for case in cases:
        _place_case(actor, access, day, case)
    db.session.flush()
    record_event("schedule.cases_assigned", actor=actor, obj=day,
                 details={"cases": [c.id for c in cases]})
    return len(cases)


def _place_case(actor, access: Access, day: ConcentratedDay, case: Case) -> None:
    row = db.session.execute(
        select(DayAssignment).where(DayAssignment.day_id == day.id,
                                    DayAssignment.case_id == case.id)
    ).scalar_one_or_none()
    if row is None:
        db.session.add(DayAssignment(township_id=case.township_id, day_id=day.id,
                                     case_id=case.id, assigned_by_id=actor.id))
    else:
        row.attendance = "expected"
        row.recorded_at = None
        row.recorded_by_id = None
    case.concentrated_day_id = day.id
    _transition(case, "schedule", actor=actor, access=access,
                     note=day.day.isoformat())
    events.day_invitation(case, day)


def move_case(township, actor, access: Access, case: Case, target: ConcentratedDay) -> None:
    """Move one person from their day to another day of the township (capacity checked)."""
    if target.township_id != township.id:
        raise Refused("schedule_not_found")
    if case.concentrated_day_id == target.id:
        raise Refused("schedule_same_day")
    source_id = case.concentrated_day_id
    assign_cases(township, actor, access, target, [case])
    record_event("schedule.case_moved", actor=actor, obj=case,
                 details={"from_day": source_id, "to_day": target.id})


def release_case(township, actor, access: Access, case: Case) -> None:
    """Take a person off their day; the case goes back to registered."""
    day_id = case.concentrated_day_id
    case.concentrated_day_id = None
    if case.state == "scheduled":
        _transition(case, "unschedule", actor=actor, access=access)
    db.session.flush()
    record_event("schedule.case_released", actor=actor, obj=case, details={"day": day_id})


def record_attendance(township, actor, day: ConcentratedDay,
                      marks: dict[int, str]) -> dict[str, int]:
    """Record attended / no-show per case of the day; returns the totals per mark."""
    rows = db.session.scalars(
        select(DayAssignment).where(DayAssignment.day_id == day.id,
                                    DayAssignment.case_id.in_(list(marks) or [-1]))
    )
    now = utcnow()
    totals = {mark: 0 for mark in ("expected", "attended", "no_show")}
    for row in rows:
        mark = marks[row.case_id]
        if row.attendance != mark:
            row.attendance = mark
            row.recorded_at = now
            row.recorded_by_id = actor.id
        totals[mark] += 1
    db.session.flush()
    record_event("schedule.attendance_recorded", actor=actor, obj=day, details=totals)
    return totals


# --- home visits ---------------------------------------------------------------------------

@dataclass
class VisitData:
    visit_date: date
    starts_at: time
    ends_at: time
    address: str
    doctor_ids: list[int]
    staff_ids: list[int]
    notes: str = ""


def doctor_users() -> list[User]:
    """Active users with the (city-wide) doctor role."""
    stmt = (
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.DOCTOR.value, User.active.is_(True))
        .order_by(User.display_name, User.username).distinct()
    )
    return list(db.session.scalars(stmt))


def staff_users(township) -> list[User]:
    """Active township staff of the township."""
    stmt = (
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.role == Role.TOWNSHIP_STAFF.value,
               Membership.township_id == township.id, User.active.is_(True))
        .order_by(User.display_name, User.username).distinct()
    )
    return list(db.session.scalars(stmt))


def find_doctor_conflict(doctor_ids: list[int], on: date, starts_at: time, ends_at: time,
                         exclude_visit_id: int | None = None):
    """The first booked visit of any township where one of the doctors is busy, or None.

    Deliberately not scoped: a doctor serves every township, so the check looks at all of
    them; callers only show the other visit's times, never whom it is for.
    """
    stmt = (
        select(HomeVisit.starts_at, HomeVisit.ends_at, HomeVisitMember.user_id)
        .join(HomeVisitMember, HomeVisitMember.visit_id == HomeVisit.id)
        .where(
            HomeVisitMember.user_id.in_(doctor_ids or [-1]),
            HomeVisit.visit_date == on,
            HomeVisit.status != "cancelled",
            HomeVisit.starts_at < ends_at,
            HomeVisit.ends_at > starts_at,
        )
        .order_by(HomeVisit.starts_at)
    )
    if exclude_visit_id is not None:
        stmt = stmt.where(HomeVisit.id != exclude_visit_id)
    return db.session.execute(stmt.limit(1)).first()


def visit_candidates(access: Access):
    """Statement for the cases a home visit can be booked for (path, state, mobility)."""
    from portal.rosters.models import Person

    return (
        scoped(select(Case), access)
        .join(Person, Person.id == Case.person_id)
        .where(Case.path == "home_visit", Case.state.in_(ASSIGNABLE_STATES),
               Person.mobility.in_(("limited", "bedridden")))
        .order_by(Person.name_pinyin, Case.id)
    )


def book_visit(township, actor, access: Access, case: Case, data: VisitData) -> HomeVisit:
    """Book a home visit for an applicant who cannot travel; the case becomes scheduled."""
    if case.township_id != township.id:
        raise Refused("schedule_not_found")
    if case.path != "home_visit":
        raise Refused("schedule_wrong_path")
    if case.person.mobility not in ("limited", "bedridden"):
        raise Refused("schedule_can_travel")
    if case.state not in ASSIGNABLE_STATES:
        raise Refused("schedule_wrong_state")
    if data.ends_at <= data.starts_at:
        raise Refused("schedule_window", field="ends_at")
    if not data.doctor_ids:
        raise Refused("schedule_no_doctor", field="doctors")
    doctors = {u.id: u for u in doctor_users()}
    staff = {u.id: u for u in staff_users(township)}
    if any(i not in doctors for i in data.doctor_ids) or any(
        i not in staff for i in data.staff_ids
    ):
        raise Refused("schedule_unknown_member", field="doctors")
    # Two townships booking the same doctor at once: the second waits and sees the first.
    db.session.execute(select(User.id).where(User.id.in_(data.doctor_ids)).order_by(User.id)
                       .with_for_update())
    conflict = find_doctor_conflict(data.doctor_ids, data.visit_date, data.starts_at,
                                    data.ends_at)
    if conflict is not None:
        busy = doctors[conflict.user_id]
        raise Refused("schedule_double_booked", field="doctors",
                      doctor=busy.display_name or busy.username,
                      start=conflict.starts_at.strftime("%H:%M"),
                      end=conflict.ends_at.strftime("%H:%M"))
    visit = HomeVisit(
        township_id=township.id, case_id=case.id, visit_date=data.visit_date,
        starts_at=data.starts_at, ends_at=data.ends_at,
        address=data.address.strip() or case.person.address, notes=data.notes.strip(),
        created_by_id=actor.id,
    )
    for user_id in data.doctor_ids:
        visit.members.append(HomeVisitMember(township_id=township.id, user_id=user_id,
                                             is_doctor=True))
    for user_id in data.staff_ids:
        if user_id not in data.doctor_ids:
            visit.members.append(HomeVisitMember(township_id=township.id, user_id=user_id,
                                                 is_doctor=False))
    db.session.add(visit)
    if case.doctor_id is None:
        # The first doctor of the team becomes the case's doctor, so their scope includes it.
        case.doctor_id = data.doctor_ids[0]
    db.session.flush()
    _transition(case, "schedule", actor=actor, access=access,
                     note=f"{data.visit_date.isoformat()} {data.starts_at:%H:%M}")
    record_event("schedule.visit_booked", actor=actor, obj=visit,
                 details={"case": case.id, "date": data.visit_date.isoformat(),
                          "team": [m.user_id for m in visit.members]})
    events.home_visit_booked(case, visit)
    return visit


def record_visit_outcome(township, actor, access: Access, visit: HomeVisit, outcome: str,
                         note: str = "") -> None:
    """Record what happened at the visit; "moved to video" switches the case to video."""
    if visit.status != "booked":
        raise Refused("schedule_visit_closed")
    visit.outcome = outcome
    visit.outcome_note = note.strip()
    visit.outcome_at = utcnow()
    visit.outcome_by_id = actor.id
    visit.status = "done"
    case = visit.case
    if outcome == "moved_to_video":
        previous = case.path
        case.path = "video"
        if case.state == "scheduled":
            _transition(case, "unschedule", actor=actor, access=access,
                             note=note.strip())
        record_event("case.path_changed", actor=actor, obj=case,
                     details={"from": previous, "to": "video", "visit": visit.id})
    db.session.flush()
    record_event("schedule.visit_outcome", actor=actor, obj=visit,
                 details={"outcome": outcome})


def cancel_visit(township, actor, access: Access, visit: HomeVisit) -> None:
    """Cancel a booked visit; the case goes back to registered unless another visit is booked."""
    if visit.status != "booked":
        raise Refused("schedule_visit_closed")
    visit.status = "cancelled"
    db.session.flush()
    other = db.session.execute(
        select(HomeVisit.id).where(HomeVisit.case_id == visit.case_id,
                                   HomeVisit.status == "booked").limit(1)
    ).first()
    if other is None and visit.case.state == "scheduled":
        _transition(visit.case, "unschedule", actor=actor, access=access)
    record_event("schedule.visit_cancelled", actor=actor, obj=visit)
