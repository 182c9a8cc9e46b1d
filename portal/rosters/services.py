"""Creating and changing people and roster entries; every change writes an audit event."""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from portal.audit.services import record_event
from portal.clock import local_today
from portal.domain.idcard import IdNumber, mask
from portal.extensions import db
from portal.models_base import utcnow
from portal.reference.models import Campaign, Township
from portal.refusals import Refused
from portal.rls import across_townships
from portal.rosters.models import (
    LIST_KINDS,
    Guardianship,
    Person,
    RosterEntry,
    RosterReport,
)
from portal.tenancy import Access, scoped

# Person columns a form may set directly (identity columns come from the parsed ID number).
PERSON_FIELDS = (
    "name", "ethnicity", "village_id", "phone", "address", "mobility", "poverty_registered",
    "guardian_name", "guardian_phone", "certificate_number", "certificate_category",
    "certificate_grade", "certificate_expires_on",
)
ENTRY_FIELDS = ("suspected_category", "medical_records", "notes")


@lru_cache(maxsize=65536)
def _char_syllables(char: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(char, style=Style.NORMAL, errors="ignore"))


@lru_cache(maxsize=65536)
def _char_keys(char: str) -> tuple[str | None, str]:
    """A character's syllables (space-separated, None if it has none) and their initials."""
    syllables = _char_syllables(char)
    return (" ".join(syllables) if syllables else None), "".join(s[0] for s in syllables if s)


@lru_cache(maxsize=8192)
def _phrase_syllables(name: str) -> tuple[str, ...]:
    return tuple(s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore"))


# The first two characters of every phrase pypinyin reads in context: a name holds such a
# phrase only where one of its character pairs is listed here.
_PHRASE_STARTS = frozenset(phrase[:2] for phrase in PHRASES_DICT if len(phrase) > 1)


def name_keys(name: str) -> tuple[str, str]:
    """Pinyin (space-separated, lower case) and initials of a Chinese name, for sort and search."""
    # pypinyin reads a name character by character unless part of it is in its phrase
    # dictionary (a polyphonic character read in context): only such names need the whole
    # conversion; for all others the remembered syllables of each character are the same.
    size = len(name)
    if size == 3:  # the usual Chinese name: two character pairs to look up
        in_phrase = ((name[:2] in _PHRASE_STARTS and (name[:2] in PHRASES_DICT
                                                      or name in PHRASES_DICT))
                     or (name[1:] in _PHRASE_STARTS and name[1:] in PHRASES_DICT))
    else:
        in_phrase = size > 1 and any(
            name[i:i + 2] in _PHRASE_STARTS
            and any(name[i:j] in PHRASES_DICT for j in range(i + 2, size + 1))
            for i in range(size - 1))
    if in_phrase:
        syllables = _phrase_syllables(name)
        return " ".join(syllables)[:200], "".join(s[0] for s in syllables if s)[:30]
    if size == 3:  # the usual Chinese name
        (p1, i1), (p2, i2), (p3, i3) = map(_char_keys, name)
        if p1 is not None and p2 is not None and p3 is not None:
            return f"{p1} {p2} {p3}"[:200], (i1 + i2 + i3)[:30]
    keys = [_char_keys(char) for char in name]
    return (" ".join([p for p, _ in keys if p is not None])[:200],
            "".join([i for _, i in keys])[:30])


def identity_fields(parsed: IdNumber) -> dict:
    """Columns derived from a validated ID number."""
    return {
        "id_number": parsed.number,
        "id_reversed": parsed.number[::-1],
        "birth_date": parsed.birth_date,
        "gender": parsed.gender,
    }


@dataclass(frozen=True)
class IdOwner:
    """Where an ID number is already registered: only ids, never the person's details."""

    person_id: int
    township_id: int


def find_id_owner(number: str, exclude_person_id: int | None = None) -> IdOwner | None:
    """The registration of `number` anywhere in the deployment, if any.

    Deliberately not scoped: an ID number exists once per deployment, so uniqueness has to
    be checked across townships. Only the two ids are read, so nothing about a foreign
    township's person can leak through this check.
    """
    stmt = select(Person.id, Person.township_id).where(Person.id_number == number)
    if exclude_person_id is not None:
        stmt = stmt.where(Person.id != exclude_person_id)
    connection = db.session.connection()
    with across_townships(connection):
        row = connection.execute(stmt.limit(1)).first()
    return IdOwner(row.id, row.township_id) if row else None


@dataclass
class PersonData:
    """Validated input for creating or editing a person (what the form produced)."""

    parsed: IdNumber
    fields: dict
    lists: dict[str, dict] = field(default_factory=dict)  # list kind -> entry fields


def _apply_identity(person: Person, data: PersonData) -> list[str]:
    changed = []
    values = dict(identity_fields(data.parsed), **data.fields)
    values["name_pinyin"], values["name_initials"] = name_keys(data.fields["name"])
    for key, value in values.items():
        if getattr(person, key) != value:
            setattr(person, key, value)
            changed.append(key)
    return changed


def _apply_lists(person: Person, data: PersonData, source: str) -> list[str]:
    changed = []
    existing = {e.list_kind: e for e in person.roster_entries}
    for kind in LIST_KINDS:
        entry = existing.get(kind)
        wanted = data.lists.get(kind)
        if wanted is None:
            if entry is not None and entry.status != "withdrawn":
                entry.status = "withdrawn"
                changed.append(f"{kind}.status")
            continue
        if entry is None:
            entry = RosterEntry(township_id=person.township_id, person_id=person.id,
                                list_kind=kind, source=source, status="open",
                                survey_date=local_today(), notes="")
            db.session.add(entry)
            person.roster_entries.append(entry)
            changed.append(kind)
        elif entry.status == "withdrawn":
            entry.status = "open"
            changed.append(f"{kind}.status")
        for key, value in wanted.items():
            if getattr(entry, key) != value:
                setattr(entry, key, value)
                if entry.id is not None:
                    changed.append(f"{kind}.{key}")
    return changed


def create_person(township: Township, actor, data: PersonData, source: str = "manual") -> Person:
    """Register a person in `township` with their lists; audit with field names only."""
    person = Person(township_id=township.id, created_by_id=getattr(actor, "id", None))
    fields = _apply_identity(person, data)
    db.session.add(person)
    db.session.flush()
    lists = _apply_lists(person, data, source)
    db.session.flush()
    record_event("person.create", actor=actor, obj=person,
                 details={"fields": sorted(fields), "lists": sorted(lists),
                          "upgraded_15": data.parsed.upgraded_from is not None})
    return person


def update_person(person: Person, actor, data: PersonData, source: str = "manual") -> list[str]:
    """Change a person and their lists; audit the names of the changed fields."""
    changed = _apply_identity(person, data) + _apply_lists(person, data, source)
    db.session.flush()
    if changed:
        record_event("person.update", actor=actor, obj=person,
                     details={"fields": sorted(set(changed))})
    return changed


def record_person_view(person: Person, actor) -> None:
    """Audit that `actor` opened the person's full record."""
    record_event("person.view", actor=actor, obj=person)


def record_id_search(actor, access: Access, digits: int) -> None:
    """Audit a people search by more ID characters than the lists show (the count only)."""
    township_id = access.township.id if access.township else None
    record_event("person.id_search", actor=actor, township_id=township_id,
                 object_type="persons", details={"digits": digits})


# Runs of digits long enough to be (part of) an ID or phone number, in a typed reason.
_NUMBER_RUN_RE = re.compile(r"\d{6,}[\dxX]*")


def reveal_personal_data(person: Person, actor, fields: list[str] | None = None,
                         via: str = "reveal", reason: str = "") -> None:
    """Audit that `actor` saw the person's ID number and/or phones in clear, and why if said.

    The reason is free text: any long run of digits in it is dropped, so that a number typed
    into it (the ID itself, say) never reaches the audit log.
    """
    fields = fields or ["id_number", "phone", "guardian_phone"]
    details = {"fields": fields, "via": via}
    reason = _NUMBER_RUN_RE.sub("…", reason or "").strip()
    if reason:
        details["reason"] = reason
    record_event("person.reveal", actor=actor, obj=person, details=details)


# --- roster reports ----------------------------------------------------------------------

def _canonical(rows: list[dict]) -> bytes:
    return json.dumps(rows, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def snapshot_sha256(rows: list[dict]) -> str:
    """SHA-256 of the canonical JSON of a snapshot (sorted keys, no spaces, UTF-8)."""
    return hashlib.sha256(_canonical(rows)).hexdigest()


def _entry_row(entry: RosterEntry) -> dict:
    person = entry.person
    return {
        "list_kind": entry.list_kind,
        "person_id": person.id,
        "name": person.name,
        "gender": person.gender,
        "birth_date": person.birth_date.isoformat(),
        "id_number": mask(person.id_number),
        "village": person.village.name if person.village else "",
        "mobility": person.mobility,
        "poverty_registered": person.poverty_registered,
        "status": entry.status,
        "source": entry.source,
        "survey_date": entry.survey_date.isoformat() if entry.survey_date else None,
        "certificate_number": mask(person.certificate_number),
        "certificate_category": person.certificate_category,
        "certificate_grade": person.certificate_grade,
        "certificate_expires_on": (person.certificate_expires_on.isoformat()
                                   if person.certificate_expires_on else None),
        "suspected_category": entry.suspected_category,
        "medical_records": entry.medical_records,
    }


def submit_roster_report(township: Township, actor, access: Access, note: str = "",
                         campaign: Campaign | None = None) -> RosterReport:
    """Freeze the township's current lists into a dated report with counts and a fingerprint."""
    stmt = (
        scoped(select(RosterEntry), access)
        .where(RosterEntry.status != "withdrawn")
        .options(selectinload(RosterEntry.person).selectinload(Person.village))
        .order_by(RosterEntry.list_kind, RosterEntry.person_id)
    )
    entries = db.session.scalars(stmt).all()
    rows = [_entry_row(e) for e in entries]
    people = {e.person_id: e.person for e in entries}
    report = RosterReport(
        township_id=township.id,
        campaign_id=campaign.id if campaign else None,
        submitted_at=datetime.now(UTC),
        submitted_by_id=actor.id,
        expired_count=sum(1 for e in entries if e.list_kind == "expired"),
        suspected_count=sum(1 for e in entries if e.list_kind == "suspected"),
        poverty_count=sum(1 for p in people.values() if p.poverty_registered),
        bedridden_count=sum(1 for p in people.values() if p.mobility == "bedridden"),
        note=note,
        snapshot=rows,
        sha256=snapshot_sha256(rows),
    )
    db.session.add(report)
    db.session.flush()
    record_event("roster_report.submit", actor=actor, obj=report,
                 details={"expired": report.expired_count, "suspected": report.suspected_count,
                          "poverty": report.poverty_count, "bedridden": report.bedridden_count,
                          "sha256": report.sha256})
    return report


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class TownshipReportStatus:
    """One township's line on the city's roster report page."""

    township: Township
    submissions: int
    first_at: datetime | None
    last: RosterReport | None
    state: str  # on_time | submitted_late | late | pending | submitted | not_submitted


def report_statuses(access: Access, campaign: Campaign | None, now: datetime,
                    timezone: str) -> tuple[list[TownshipReportStatus], date | None]:
    """Every township's submissions, last report and lateness against the survey deadline."""
    zone = ZoneInfo(timezone)
    phase = campaign.phase("survey") if campaign else None
    deadline = phase.ends_on if phase else None
    # The deadline day ends at midnight local time.
    cutoff = (datetime.combine(deadline, time.max, tzinfo=zone) if deadline else None)
    stats = {
        row.township_id: row
        for row in db.session.execute(
            scoped(select(RosterReport.township_id, func.count().label("n"),
                          func.min(RosterReport.submitted_at).label("first_at"),
                          func.max(RosterReport.id).label("last_id")), access)
            .group_by(RosterReport.township_id)
        )
    }
    last_ids = [row.last_id for row in stats.values()]
    latest = {
        r.township_id: r
        for r in db.session.scalars(
            scoped(select(RosterReport), access).where(RosterReport.id.in_(last_ids or [-1]))
        )
    }
    result = []
    townships = db.session.scalars(select(Township).order_by(Township.position, Township.id))
    for township in townships:
        row = stats.get(township.id)
        first_at = _aware(row.first_at) if row else None
        if cutoff is None:
            state = "submitted" if row else "not_submitted"
        elif row:
            state = "on_time" if first_at <= cutoff else "submitted_late"
        else:
            state = "late" if _aware(now) > cutoff else "pending"
        result.append(TownshipReportStatus(township, row.n if row else 0, first_at,
                                           latest.get(township.id), state))
    return result, deadline


def end_guardianship(link: Guardianship, *, actor, reason: str) -> None:
    """End a guardian's link to the person now: they no longer see the person or the cases.
    The reason is kept on the row (it may name people), not in the audit event."""
    if not link.active:
        raise Refused("guardianship_already_ended")
    link.ended_at = utcnow()
    link.ended_by_id = actor.id
    link.end_reason = reason
    db.session.flush()
    record_event("guardianship.end", actor=actor, obj=link,
                 details={"user_id": link.user_id, "person_id": link.person_id})
