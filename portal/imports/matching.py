"""Matching a parsed file against the database: new people, changes, refused rows."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ARRAY, Connection, Text, any_, bindparam, cast, func, select

from portal.extensions import db
from portal.imports.cells import cell_text, fold
from portal.imports.reader import ParsedFile, Record, Reject
from portal.reference.models import Township, Village
from portal.rls import across_townships
from portal.rosters.models import Person, RosterEntry
from portal.rosters.services import name_keys

PERSON_FIELDS = ("ethnicity", "phone", "mobility", "poverty_registered")
EXPIRED_FIELDS = ("certificate_number", "certificate_category", "certificate_grade",
                  "certificate_expires_on")
SUSPECTED_PERSON_FIELDS = ("guardian_name", "guardian_phone")
ENTRY_FIELDS = ("suspected_category", "medical_records", "notes")


# --- matching the file against the database -----------------------------------------------

@dataclass
class Plan:
    """What an import of a parsed file would do; nothing is written to build it."""

    list_kind: str
    new: list[Record] = field(default_factory=list)
    # (record, person row, entry row or None, person changes, entry changes)
    existing: list[tuple] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    new_villages: list[str] = field(default_factory=list)
    villages: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> list[tuple]:
        return [e for e in self.existing if e[3] or e[4] or e[2] is None]


def _person_changes(values: dict, row, list_kind: str, villages: dict[str, int]) -> dict:
    changes: dict[str, Any] = {}
    if values["name"] != row.name:
        changes["name"] = values["name"]
        changes["name_pinyin"], changes["name_initials"] = name_keys(values["name"])
    fields = PERSON_FIELDS + (EXPIRED_FIELDS if list_kind == "expired" else SUSPECTED_PERSON_FIELDS)
    for key in fields:
        if key in values and values[key] != getattr(row, key):
            changes[key] = values[key]
    village = values.get("village")
    if village and villages.get(village) != row.village_id:
        changes["village_id"] = villages.get(village)
        changes["village"] = village
    return changes


def _entry_changes(values: dict, entry) -> dict:
    if entry is None:
        return {}
    return {key: values[key] for key in ENTRY_FIELDS
            if key in values and values[key] != getattr(entry, key)}


class Matcher:
    """Sorts valid records into new, existing and refused (registered in another township).

    Fed batch by batch, each with the persons the database holds for its ID numbers.
    """

    def __init__(self, township_id: int, list_kind: str, villages: dict[str, int]):
        self.township_id = township_id
        self.list_kind = list_kind
        self.villages = villages  # the township's villages before the import: key → id
        self.new: list[Record] = []
        self.existing: list[tuple] = []  # (record, person row)
        self.rejects: list[Reject] = []
        self.new_villages: dict[str, None] = {}
        self._announced = 0  # new villages already handed out by `take_new_villages`
        self._village_keys: dict[str, str] = {}

    def sort(self, records: list[Record], found: dict) -> list[Record]:
        """Sort `records`; return those that are new."""
        new = []
        village_keys = self._village_keys
        for record in records:
            values = record.values
            village = values.get("village")
            if village:
                key = village_keys.get(village)
                if key is None:
                    key = village_keys[village] = village_key(village)
                values["village"] = village = key
            row = found.get(values["id"].number)
            if row is not None and row.township_id != self.township_id:
                self.rejects.append(Reject(record.row, "id_number", "elsewhere", {},
                                           row_values(record)))
                continue
            if village and village not in self.villages:
                self.new_villages.setdefault(village)
            if row is None:
                new.append(record)
            else:
                self.existing.append((record, row))
        self.new += new
        return new

    def take_new_villages(self) -> list[str]:
        """New village names met since the last call."""
        names = list(self.new_villages)[self._announced:]
        self._announced += len(names)
        return names

    def existing_with_changes(self, entry_by_person: dict) -> list[tuple]:
        """(record, person row, entry row or None, person changes, entry changes)."""
        pending = {name: -1 for name in self.new_villages}
        villages = self.villages | pending
        result = []
        for record, row in self.existing:
            entry = entry_by_person.get(row.id)
            result.append((record, row, entry,
                           _person_changes(record.values, row, self.list_kind, villages),
                           _entry_changes(record.values, entry)))
        return result

    def own_person_ids(self) -> list[int]:
        return [row.id for _, row in self.existing]


def township_villages(connection: Connection, township_id: int) -> dict[str, int]:
    villages = Village.__table__
    stmt = select(villages.c.name, villages.c.id).where(villages.c.township_id == township_id)
    return {village_key(name): village_id for name, village_id in connection.execute(stmt)}


def persons_by_number(connection: Connection, numbers: list[str]) -> dict:
    """Persons holding any of `numbers`, whatever their township, by ID number."""
    if not numbers:
        return {}
    # Deliberately across townships: an ID number exists once per deployment. Columns of
    # a foreign person are read only to refuse the row; nothing of them is shown.
    persons = Person.__table__
    stmt = select(persons).where(one_of(connection, persons.c.id_number, numbers))
    with across_townships(connection):
        return {row.id_number: row for row in connection.execute(stmt)}


def entries_by_person(connection: Connection, person_ids: list[int], list_kind: str) -> dict:
    if not person_ids:
        return {}
    entries = RosterEntry.__table__
    stmt = select(entries).where(one_of(connection, entries.c.person_id, person_ids),
                                 entries.c.list_kind == list_kind)
    return {row.person_id: row for row in connection.execute(stmt)}


def plan_import(township: Township, parsed: ParsedFile) -> Plan:
    """Sort the file's valid rows into new, existing and refused (registered elsewhere)."""
    db.session.flush()
    connection = db.session.connection()
    matcher = Matcher(township.id, parsed.list_kind,
                       township_villages(connection, township.id))
    numbers = [r.values["id"].number for r in parsed.records]
    matcher.sort(parsed.records, persons_by_number(connection, numbers))
    entries = entries_by_person(connection, matcher.own_person_ids(), parsed.list_kind)
    plan = Plan(parsed.list_kind, new=matcher.new,
                existing=matcher.existing_with_changes(entries),
                rejects=sorted(parsed.rejects + matcher.rejects, key=lambda r: r.row),
                new_villages=list(matcher.new_villages), villages=matcher.villages)
    return plan


def one_of(connection: Connection, column, values: list) -> Any:
    """`column IN values` as a single bound parameter, however many values there are."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        listed = ",".join(map(str, values))
        if listed.count(",") == len(values) - 1:  # no value holds a comma
            # One text the server splits: cheaper to send than an array of 25,000 values.
            split = func.string_to_array(bindparam(None, listed, type_=Text), ",")
            return column == any_(cast(split, ARRAY(column.type)))
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    if dialect == "sqlite":
        listed = func.json_each(json.dumps(values)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column.in_(values)


def row_values(record: Record) -> tuple:
    return tuple(cell_text(v) for v in record.cells)


def village_key(name: str) -> str:
    return "".join(fold(name).split())
