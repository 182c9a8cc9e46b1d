"""Case services: registering cases (one or in bulk), taking workflow steps with their dates,
appeals, and the overdue work lists. Views call these; the request commits once (portal/uow.py).

Deadlines (portal.domain.workdays, Civil Code art. 201: the starting day is not counted):
- public notice (公示): starts on `publicity_starts_on` (the day it is posted) and runs the
  5 working days after it; `publicity_ends_on` is the last of them, so the case may move to the
  city from the next day on;
- city review: 10 working days after the day the township sends the case on (`end_publicity`),
  because the city cannot review what it has not received; a township's delay in sending shows
  on the overdue list instead of shortening the city's time;
- appeal: 10 working days after the day the person was told (`notified_on`); the last day
  (`appeal_due_on`) is still accepted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, and_, case, func, or_, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from portal.audit.services import record_event
from portal.cases.effects import set_entry_status
from portal.cases.models import OPEN_STATES, Case, CaseEvent
from portal.cases.workflow import apply_transition
from portal.clock import local_today
from portal.domain.workdays import calendar_covers, workdays_between
from portal.extensions import db
from portal.pages import Page, capped_count, paginate
from portal.reference.models import Campaign, CampaignPhase, Township
from portal.refusals import Refused
from portal.rosters.models import Person, RosterEntry

# The case kind a roster list suggests: expired holders renew, suspected persons apply anew.
DEFAULT_KIND = {"expired": "renewal", "suspected": "issue"}
# Rules an area adds to every new application, called as check(person, kind) before the case
# is registered; a check refuses by raising Refused (e.g. the year after a cancellation on the
# holder's request: portal/lifecycle/cancellations.py).
APPLICATION_CHECKS: list = []


class CaseConflict(Exception):
    """The database refused a write because another transaction wrote meanwhile (SQLite: a
    transaction that has read cannot write after another one committed). Nothing of this
    transaction can be saved: the caller rolls back and may try once more."""


def lock_for_writing() -> None:
    """On SQLite, take the database's write lock as the first step of a fresh transaction:
    it waits for another writer to commit, after which this transaction sees what it wrote
    (a transaction that has read first cannot write after another one committed)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("UPDATE cases SET id = id WHERE 0 = 1"))


def open_case_of(person_id: int) -> Case | None:
    """The person's open case, if any (a person has at most one)."""
    stmt = select(Case).where(Case.person_id == person_id, Case.state.in_(sorted(OPEN_STATES)))
    return db.session.scalars(stmt.limit(1)).first()


def entry_for_kind(person: Person, kind: str) -> RosterEntry | None:
    """The roster entry a new case of `kind` comes from (renewals: the expired list)."""
    wanted = "expired" if kind == "renewal" else "suspected"
    # The list the kind suggests first, then any list; entries of a withdrawn case come last.
    entries = sorted(person.roster_entries,
                     key=lambda e: (e.list_kind != wanted, e.status == "withdrawn"))
    return entries[0] if entries else None


def campaign_running_on(day: date) -> Campaign | None:
    """The campaign whose period (its first phase's start to its last phase's end) holds
    `day`; the most recently started one if periods overlap; None outside every campaign."""
    first, last = func.min(CampaignPhase.starts_on), func.max(CampaignPhase.ends_on)
    stmt = (select(Campaign).join(CampaignPhase, CampaignPhase.campaign_id == Campaign.id)
            .group_by(Campaign.id).having(first <= day, last >= day)
            .order_by(first.desc(), Campaign.id.desc()).limit(1))
    return db.session.scalars(stmt).first()


def create_case(township: Township, actor, person: Person, *, kind: str, path: str,
                roster_entry: RosterEntry | None = None, note: str = "",
                requested_category: str | None = None, appeal_of: Case | None = None,
                origin: str | None = None) -> Case:
    """Register one case for a person; refused when the person already has an open case.

    `origin` says how it came about (CASE_ORIGINS): "survey" for a roster entry (the
    default), "walk_in" or "hospital_booking" for year-round applications; an appeal keeps
    the origin of the appealed case. The campaign running today is recorded, if any."""
    if person.deceased:
        raise Refused("person_deceased")
    for check in APPLICATION_CHECKS:
        check(person, kind)
    if open_case_of(person.id) is not None:
        raise Refused("open_case_exists")
    if roster_entry is None:
        roster_entry = entry_for_kind(person, kind)
    case = Case(
        township_id=township.id, person=person, person_id=person.id,
        roster_entry=roster_entry, kind=kind, path=path, state="registered",
        requested_category=requested_category or (
            roster_entry.suspected_category if roster_entry is not None else None),
        created_by_id=actor.id, city_level=appeal_of is not None,
        appeal_of_id=appeal_of.id if appeal_of is not None else None,
        origin=origin or (appeal_of.origin if appeal_of is not None else "survey"),
    )
    campaign = campaign_running_on(local_today())
    case.campaign_id = campaign.id if campaign is not None else None
    _insert_case(case)
    db.session.add(CaseEvent(township_id=township.id, case=case, actor_id=actor.id,
                             action="register", from_state=None, to_state="registered",
                             note=note))
    set_entry_status(case)
    db.session.flush()
    record_event("case.create", actor=actor, obj=case, details={
        "kind": kind, "path": path, "roster_entry": case.roster_entry_id,
        "appeal_of": case.appeal_of_id, "origin": case.origin, "campaign": case.campaign_id,
    })
    return case


def _insert_case(case: Case) -> None:
    """Insert the new case; the database refuses a second open case of the person
    (uq_cases_open_person) when another request registered one since `open_case_of` looked."""
    try:
        with db.session.begin_nested():
            db.session.add(case)
    except IntegrityError as exc:
        if _is_open_case_violation(exc):
            raise Refused("open_case_exists") from None
        raise
    except OperationalError as exc:
        if db.session.get_bind().dialect.name == "sqlite" and "locked" in str(exc.orig):
            raise CaseConflict() from None
        raise


def _is_open_case_violation(exc: IntegrityError) -> bool:
    # PostgreSQL names the index; SQLite names its column ("cases.person_id").
    message = str(exc.orig)
    return "uq_cases_open_person" in message or "cases.person_id" in message


@dataclass
class BulkResult:
    """Cases created from a roster selection, and the persons refused with the reason."""

    created: list[Case] = field(default_factory=list)
    refused: list[tuple[Person, str]] = field(default_factory=list)


def create_cases_in_bulk(township: Township, actor, entries: list[RosterEntry], *,
                         kind: str | None, path: str) -> BulkResult:
    """One case per selected roster entry; persons who cannot get one are reported, the
    others are still created (not all-or-nothing)."""
    result = BulkResult()
    for entry in entries:
        try:
            case = create_case(township, actor, entry.person,
                               kind=kind or DEFAULT_KIND[entry.list_kind], path=path,
                               roster_entry=entry)
        except Refused as refusal:
            result.refused.append((entry.person, refusal.code))
        else:
            result.created.append(case)
    record_event("case.bulk_create", actor=actor, township_id=township.id, object_type="cases",
                 details={"created": len(result.created), "refused": len(result.refused),
                          "kind": kind or "by_list", "path": path})
    return result


def take_step(case: Case, action: str, *, actor, access, note: str = "",
              today: date | None = None, **data) -> CaseEvent:
    """Apply one workflow step; the dates and outcome it brings are its effects in the
    transition table. Here only the inputs get their defaults (today's date)."""
    today = today or local_today()
    if action == "start_publicity":
        data["starts_on"] = data.get("starts_on") or today
        data["happened_on"] = data["starts_on"]
    elif action == "notify_not_qualified":
        data["notified_on"] = data.get("notified_on") or today
        data["happened_on"] = data["notified_on"]
    event = apply_transition(case, action, actor=actor, access=access, note=note, today=today,
                             **data)
    db.session.flush()
    return event


def record_appeal(case: Case, *, actor, access, note: str = "", path: str | None = None,
                  today: date | None = None) -> Case:
    """Record an appeal within its window and open the city-level re-assessment case."""
    take_step(case, "appeal", actor=actor, access=access, note=note, today=today)
    township = db.session.get(Township, case.township_id)
    return create_case(township, actor, case.person, kind=case.kind, path=path or case.path,
                       roster_entry=case.roster_entry, note=note,
                       requested_category=case.category or case.requested_category,
                       appeal_of=case)


def deadline_warnings(case: Case) -> list[date]:
    """Deadlines of the case in years the official holiday calendar does not cover."""
    dates = (case.publicity_starts_on, case.publicity_ends_on, case.review_due_on,
             case.notified_on, case.appeal_due_on)
    return [d for d in dates if d is not None and not calendar_covers(d)]


# --- overdue work --------------------------------------------------------------------------

def overdue_condition(today: date):
    """SQL condition of the cases whose deadline has passed without the next step."""
    return or_(
        and_(Case.state == "publicity", Case.publicity_ends_on < today),
        and_(Case.state == "under_review", Case.review_due_on < today),
        and_(Case.state == "not_qualified", Case.appeal_due_on < today),
    )


@dataclass
class OverdueItem:
    """A case past a deadline: which one, since when, and for how many working days."""

    case: Case
    reason: str  # publicity | review | appeal
    since: date
    age: int


def _overdue_item(case: Case, today: date) -> OverdueItem:
    reason, since = {
        "publicity": ("publicity", case.publicity_ends_on),
        "under_review": ("review", case.review_due_on),
        "not_qualified": ("appeal", case.appeal_due_on),
    }[case.state]
    return OverdueItem(case, reason, since, workdays_between(since, today))


def overdue_since():
    """SQL of the deadline a case is late against (its `OverdueItem.since`)."""
    return case((Case.state == "publicity", Case.publicity_ends_on),
                (Case.state == "under_review", Case.review_due_on),
                else_=Case.appeal_due_on)


OVERDUE_COUNT_CAP = 10_000


def overdue_page(stmt: Select, per_page: int, today: date | None = None) -> Page:
    """One page of the overdue cases of an already scoped SELECT of cases, oldest first (the
    order of `overdue_items`: the earlier the deadline, the more working days late), with how
    many there are (counted up to OVERDUE_COUNT_CAP). A county of a million has thousands."""
    today = today or local_today()
    late = stmt.where(overdue_condition(today))
    page = paginate(late.order_by(overdue_since(), Case.id), per_page)
    page.items = [_overdue_item(c, today) for c in page.items]
    page.total = capped_count(late, Case.id, OVERDUE_COUNT_CAP)
    page.capped = page.total > OVERDUE_COUNT_CAP
    return page


def overdue_items(stmt: Select, today: date | None = None) -> list[OverdueItem]:
    """The overdue cases of an already scoped SELECT of cases, oldest first."""
    today = today or local_today()
    cases = db.session.scalars(stmt.where(overdue_condition(today))).all()
    items = [_overdue_item(case, today) for case in cases]
    return sorted(items, key=lambda item: (-item.age, item.since, item.case.id))


ASSIGNABLE_STATES = frozenset({"registered", "scheduled"})


def doctor_choices(case: Case, today: date | None = None) -> list:
    """Doctors certified today for the case's category (all categories when none is asked)."""
    from portal.doctors.services import certified_doctors

    today = today or local_today()
    categories = [case.requested_category] if case.requested_category else []
    return certified_doctors(categories, today, exclude=_appealed_case_doctors(case))


def _appealed_case_doctors(case: Case) -> set[int]:
    """Doctors of the case an appeal re-examines: they may not assess it again."""
    if case.appeal_of_id is None:
        return set()
    original = db.session.get(Case, case.appeal_of_id)
    return {original.doctor_id, original.second_doctor_id} - {None}


def assign_doctor(case: Case, doctor_id: int, *, actor, today: date | None = None) -> CaseEvent:
    """Give the case its assessing doctor (concentrated day, records review, video)."""
    from portal.doctors.services import is_guardian_of, is_staff_of, signing_refusal

    today = today or local_today()
    if case.state not in ASSIGNABLE_STATES:
        raise Refused("wrong_state")
    categories = [case.requested_category] if case.requested_category else []
    refusal = signing_refusal(doctor_id, categories, today)
    if refusal:
        raise Refused(refusal)
    if doctor_id in _appealed_case_doctors(case):
        raise Refused("same_doctor_as_appealed_case")
    if is_guardian_of(doctor_id, case.person_id):
        raise Refused("doctor_is_guardian")
    if is_staff_of(doctor_id, case.township_id):
        raise Refused("doctor_is_township_staff")
    previous = case.doctor_id
    case.doctor_id = doctor_id
    event = CaseEvent(township_id=case.township_id, case=case, actor_id=actor.id,
                      action="assign_doctor", from_state=case.state, to_state=case.state)
    db.session.add(event)
    db.session.flush()
    record_event("case.assign_doctor", actor=actor, obj=case,
                 details={"doctor_id": doctor_id, "previous_doctor_id": previous})
    return event
