"""Certificates expiring soon, the holders due their 90-day notice, and the expired holders not
renewed (the next campaign's Attachment 1). Services change the session and never commit.

A certificate is the register's (`portal/register`): a holder is a person counted by the
dashboards (`certified_condition`: alive, in the county, holding a valid certificate today)
whose register entry expires within the horizon. "Expired and not renewed" on a day: the
person's certificate had expired by that day and they hold no valid one on it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import aliased

from portal.audit.services import record_event
from portal.auth.roles import Role
from portal.cases.models import OPEN_STATES, Case
from portal.cases.services import create_case, open_case_of
from portal.clock import local_today
from portal.dashboards.figures import certified_condition, counted_person
from portal.extensions import db
from portal.refusals import Refused
from portal.register.models import HolderEntry
from portal.rosters.models import Person, RosterEntry
from portal.tenancy import Access, scoped

DEFAULT_HORIZON_DAYS = 180
MAX_HORIZON_DAYS = 730
# The holder is told this many days before the certificate expires.
NOTICE_DAYS = 90


def _open_cases():
    return select(Case.id).where(Case.person_id == Person.id,
                                 Case.state.in_(sorted(OPEN_STATES)))


def open_case_column():
    """The person's open case (id), if any: a correlated column of a Person query."""
    return _open_cases().order_by(Case.id).limit(1).scalar_subquery().label("open_case_id")


def expiring_stmt(access: Access, today: date, days: int = DEFAULT_HORIZON_DAYS, *,
                  latest_first: bool = False) -> Select:
    """(Person, HolderEntry, open case id) of the holders whose valid certificate expires
    within `days` after `today`, soonest first (or latest first)."""
    until = today + timedelta(days=days)
    # An alias, so that the register's own EXISTS in `certified_condition` stays correlated
    # to the person only.
    entry = aliased(HolderEntry, name="entry")
    order = entry.expires_on.desc() if latest_first else entry.expires_on.asc()
    return (scoped(select(Person, entry, open_case_column()), access)
            .join(entry, entry.person_id == Person.id)
            .where(certified_condition(today), entry.expires_on > today,
                   entry.expires_on <= until)
            .order_by(order, Person.id))


def notice_stmt(access: Access, today: date, lead_days: int = NOTICE_DAYS) -> Select:
    """Holders due the notice: certificate expiring within `lead_days`, no case open yet."""
    return expiring_stmt(access, today, lead_days).where(~_open_cases().exists())


@dataclass(frozen=True)
class DueNotice:
    """One holder to tell that their certificate expires soon."""

    person_id: int
    township_id: int
    expires_on: date
    days_left: int


def holders_due_notice(access: Access | None = None, today: date | None = None,
                       lead_days: int = NOTICE_DAYS) -> list[DueNotice]:
    """Every holder due the notice `lead_days` before expiry, county-wide by default.

    The hook of the notification outbox: a daily job calls this and sends each holder their
    notice (remembering whom it told); until the outbox exists the township prints the same
    holders as a call list (`/t/<code>/expiring/call-list`)."""
    access = access or Access(user_id=0, township=None, roles={Role.SUPERVISOR})
    today = today or local_today()
    rows = db.session.execute(notice_stmt(access, today, lead_days)).all()
    return [DueNotice(person.id, person.township_id, entry.expires_on,
                      (entry.expires_on - today).days) for person, entry, _case in rows]


def _expired_by(as_of: date):
    in_register = (select(HolderEntry.id).where(HolderEntry.person_id == Person.id,
                                                HolderEntry.expires_on <= as_of).exists())
    return or_(Person.certificate_expires_on <= as_of, in_register)


def expired_stmt(access: Access, as_of: date, *, latest_first: bool = False) -> Select:
    """(Person, open case id) of the holders whose certificate had expired by `as_of` and who
    hold no valid certificate on that day, oldest expiry first (or latest first)."""
    order = (Person.certificate_expires_on.desc() if latest_first
             else Person.certificate_expires_on.asc())
    return (scoped(select(Person, open_case_column()), access)
            .where(counted_person(), _expired_by(as_of), ~certified_condition(as_of))
            .order_by(order, Person.id))


@dataclass
class Counts:
    """What the dashboards show of the expiring certificates of one township (or the city)."""

    expiring: int = 0
    due_notice: int = 0
    expired: int = 0


def _count_per_township(stmt: Select) -> dict[int, int]:
    counted = stmt.order_by(None).subquery()
    return dict(db.session.execute(
        select(counted.c.township_id, func.count()).group_by(counted.c.township_id)).all())


def counts_per_township(access: Access, today: date,
                        days: int = DEFAULT_HORIZON_DAYS) -> dict[int, Counts]:
    """Per township: expiring within `days`, due the notice, expired and not renewed."""
    expiring = _count_per_township(
        expiring_stmt(access, today, days).with_only_columns(Person.township_id))
    due = _count_per_township(
        notice_stmt(access, today).with_only_columns(Person.township_id))
    expired = _count_per_township(
        expired_stmt(access, today).with_only_columns(Person.township_id))
    return {tid: Counts(expiring.get(tid, 0), due.get(tid, 0), expired.get(tid, 0))
            for tid in set(expiring) | set(due) | set(expired)}


def start_renewal(person: Person, township, actor, *, path: str) -> Case:
    """One click on the expiring list: a renewal case for the holder (the case workflow's
    registration, kind renewal)."""
    if person.left_county_on is not None:
        raise Refused("renewal_person_left_county")
    try:
        case = create_case(township, actor, person, kind="renewal", path=path)
    except Refused as refused:
        if refused.code == "person_deceased":
            raise Refused("renewal_person_deceased") from None
        if refused.code != "open_case_exists":
            raise
        existing = open_case_of(person.id)
        raise Refused("renewal_open_case", case=existing.id if existing else "") from None
    record_event("expiring.renewal_started", actor=actor, obj=case,
                 details={"person_id": person.id,
                          "expires_on": person.certificate_expires_on.isoformat()
                          if person.certificate_expires_on else None})
    return case


def add_expired_to_roster(access: Access, township, actor, as_of: date) -> int:
    """Put the expired holders not renewed on the township's Attachment 1 (the expired
    roster) for the next campaign: a new entry, or their old entry opened again. Returns how
    many entries were added or reopened."""
    people = db.session.scalars(expired_stmt(access, as_of).with_only_columns(Person)).all()
    entries = {e.person_id: e for e in db.session.scalars(scoped(select(RosterEntry), access)
               .where(RosterEntry.list_kind == "expired",
                      RosterEntry.person_id.in_([p.id for p in people] or [-1])))}
    changed = 0
    for person in people:
        entry = entries.get(person.id)
        if entry is None:
            db.session.add(RosterEntry(township_id=township.id, person_id=person.id,
                                       list_kind="expired", source="manual", status="open"))
            changed += 1
        elif entry.status in ("certified", "withdrawn", "not_qualified"):
            entry.status = "open"
            changed += 1
    db.session.flush()
    record_event("expiring.added_to_roster", actor=actor, township_id=township.id,
                 object_type="roster_entries",
                 details={"as_of": as_of.isoformat(), "entries": changed,
                          "expired": len(people)})
    return changed
