"""Matching a parsed file against the database and writing it with driver-level bulk writes."""
from __future__ import annotations

import gc
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Self

from sqlalchemy import ARRAY, Table, any_, bindparam, func, select, update
from sqlalchemy.exc import DBAPIError

from portal.audit.services import record_event
from portal.extensions import db
from portal.imports.cells import cell_text, fold
from portal.imports.reader import ParsedFile, Record, Reject, parse_workbook
from portal.models_base import utcnow
from portal.reference.models import Township, Village
from portal.rosters.models import Person, RosterEntry
from portal.rosters.services import name_keys

CHUNK = 1000
BULK_CACHE_KIB = -65536  # SQLite page cache while writing a list (negative: in KiB)

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


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


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


def plan_import(township: Township, parsed: ParsedFile) -> Plan:
    """Sort the file's valid rows into new, existing and refused (registered elsewhere)."""
    plan = Plan(parsed.list_kind, rejects=list(parsed.rejects))
    plan.villages = {
        _village_key(v.name): v.id
        for v in db.session.scalars(select(Village).where(Village.township_id == township.id))
    }
    by_number = {r.values["id"].number: r for r in parsed.records}
    persons = Person.__table__
    entries = RosterEntry.__table__
    # Deliberately across townships: an ID number exists once per deployment. Columns of
    # a foreign person are read only to refuse the row; nothing of them is shown.
    found = {row.id_number: row for row in db.session.execute(
        select(persons).where(_one_of(persons.c.id_number, list(by_number))))}
    entry_by_person = {}
    own_ids = [row.id for row in found.values() if row.township_id == township.id]
    if own_ids:
        stmt = select(entries).where(_one_of(entries.c.person_id, own_ids),
                                     entries.c.list_kind == parsed.list_kind)
        entry_by_person = {row.person_id: row for row in db.session.execute(stmt)}
    new_villages: dict[str, None] = {}
    village_keys: dict[str, str] = {}
    for number, record in by_number.items():
        village = record.values.get("village")
        if village:
            key = village_keys.get(village)
            if key is None:
                key = village_keys[village] = _village_key(village)
            record.values["village"] = village = key
        row = found.get(number)
        if row is not None and row.township_id != township.id:
            plan.rejects.append(Reject(record.row, "id_number", "elsewhere", {},
                                       _row_values(parsed, record)))
            continue
        if village and village not in plan.villages:
            new_villages.setdefault(village)
        if row is None:
            plan.new.append(record)
        else:
            entry = entry_by_person.get(row.id)
            plan.existing.append((record, row, entry, None, None))
    plan.new_villages = list(new_villages)
    pending = {name: -1 for name in plan.new_villages}
    plan.existing = [
        (record, row, entry,
         _person_changes(record.values, row, parsed.list_kind, plan.villages | pending),
         _entry_changes(record.values, entry))
        for record, row, entry, _, _ in plan.existing
    ]
    plan.rejects.sort(key=lambda r: r.row)
    return plan


def _one_of(column, values: list) -> Any:
    """`column IN values` as a single bound parameter, however many values there are."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    if dialect == "sqlite":
        listed = func.json_each(json.dumps(values)).table_valued("value")
        return column.in_(select(listed.c.value))
    return column.in_(values)


def _row_values(parsed: ParsedFile, record: Record) -> tuple:
    return tuple(cell_text(v) for v in record.cells)


def _village_key(name: str) -> str:
    return "".join(fold(name).split())


# --- writing -------------------------------------------------------------------------------

@dataclass
class ImportResult:
    imported: int
    updated: int
    rejected: int
    rejects: list[Reject]
    villages_created: int
    headers: list[str] = field(default_factory=list)  # the file's header row, for a rejects file


PERSON_COLUMNS = (
    "id", "township_id", "village_id", "name", "name_pinyin", "name_initials", "id_number",
    "id_reversed", "birth_date", "gender", "ethnicity", "phone", "address", "mobility",
    "poverty_registered", "deceased", "guardian_name", "guardian_phone", "certificate_number",
    "certificate_category", "certificate_grade", "certificate_expires_on", "created_by_id",
    "created_at", "updated_at")
ENTRY_COLUMNS = (
    "township_id", "person_id", "list_kind", "status", "source", "survey_date",
    "suspected_category", "medical_records", "notes", "created_at", "updated_at")


class _BulkWriter:
    """Inserts many rows through the database driver, in the session's transaction.

    COPY on PostgreSQL, one prepared statement per chunk on SQLite: SQLAlchemy's handling of
    each row's parameters used to cost as much as the database's own work. Values are
    stored exactly as SQLAlchemy stores them (its converters for dates on SQLite).
    """

    def __init__(self):
        db.session.flush()
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        self.driver = self.connection.connection.driver_connection
        self.cache_size = None

    def __enter__(self) -> Self:
        if not self.postgresql:
            # SQLite's default 2 MB page cache is too small for the indexes a large list
            # touches: pages would be written out and read back during the transaction.
            (self.cache_size,) = self.driver.execute("PRAGMA cache_size").fetchone()
            self.driver.execute(f"PRAGMA cache_size = {BULK_CACHE_KIB}")
        return self

    def __exit__(self, *exc_info) -> None:
        if self.cache_size is not None:
            self.driver.execute(f"PRAGMA cache_size = {int(self.cache_size)}")

    @contextmanager
    def _errors_as_sqlalchemy_errors(self, statement: str) -> Iterator[None]:
        # Callers tell a conflict (IntegrityError) from other failures by SQLAlchemy's
        # exception classes, as for every other statement of the session.
        base = self.dialect.loaded_dbapi.Error
        try:
            yield
        except base as exc:
            raise DBAPIError.instance(statement, None, exc, base) from exc

    def converter(self, table: Table, column: str) -> Callable[[Any], Any]:
        """How a Python value of `column` is handed to the driver."""
        kind = table.c[column].type
        process = kind.dialect_impl(self.dialect).bind_processor(self.dialect)
        if self.postgresql or process is None:
            return lambda value: value
        return lambda value: None if value is None else process(value)

    def date_converter(self, table: Table, column: str) -> Callable[[Any], Any]:
        """`converter` for a Date column; `date.isoformat` where that is what it stores."""
        convert = self.converter(table, column)
        sample = date(2001, 2, 3)
        if not self.postgresql and convert(sample) == sample.isoformat():
            return date.isoformat
        return convert

    def new_ids(self, table: Table, count: int) -> list[int]:
        """Primary keys for `count` rows about to be inserted."""
        if not count:
            return []
        if self.postgresql:
            statement = ("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                         "FROM generate_series(1, %s)")
            with self._errors_as_sqlalchemy_errors(statement), self.driver.cursor() as cursor:
                cursor.execute(statement, (table.name, count))
                return [i for (i,) in cursor.fetchall()]
        # SQLite: a single writer at a time, and the transaction that read max(id) cannot
        # write if another one committed in between, so these numbers stay ours.
        statement = f"SELECT coalesce(max(id), 0) FROM {table.name}"
        with self._errors_as_sqlalchemy_errors(statement):
            (last,) = self.driver.execute(statement).fetchone()
        return list(range(last + 1, last + 1 + count))

    def insert(self, table: Table, columns: tuple[str, ...], rows: Iterator[tuple],
               progress: Callable[[int], None] | None = None) -> None:
        """Insert `rows` (tuples in the order of `columns`)."""
        names = ", ".join(columns)
        if self.postgresql:
            statement = f"COPY {table.name} ({names}) FROM STDIN"
            with (self._errors_as_sqlalchemy_errors(statement), self.driver.cursor() as cursor,
                  cursor.copy(statement) as copy):
                for n, row in enumerate(rows, 1):
                    copy.write_row(row)
                    if progress and n % CHUNK == 0:
                        progress(CHUNK)
            return
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' * len(columns))})"
        cursor = self.driver.cursor()
        try:
            with self._errors_as_sqlalchemy_errors(statement):
                for chunk in _chunks(list(rows), 5 * CHUNK):
                    cursor.executemany(statement, chunk)
                    if progress:
                        progress(len(chunk))
        finally:
            cursor.close()


def _new_person_row(person_id: int, township_id: int, actor_id: int | None,
                    values: dict, village_id: int | None, dates, now) -> tuple:
    pinyin, initials = name_keys(values["name"])
    parsed = values["id"]  # identity_fields(parsed), without building its dict
    number = parsed.number
    get = values.get
    expires = get("certificate_expires_on")
    return (
        person_id, township_id, village_id, values["name"], pinyin, initials,
        number, number[::-1], dates(parsed.birth_date),
        parsed.gender, get("ethnicity", ""), get("phone", ""), "",
        get("mobility", "can_travel"), get("poverty_registered", False), False,
        get("guardian_name", ""), get("guardian_phone", ""), get("certificate_number"),
        get("certificate_category"), get("certificate_grade"),
        None if expires is None else dates(expires), actor_id, now, now,
    )


def _new_entry_row(township_id: int, person_id: int, values: dict, list_kind: str,
                   now) -> tuple:
    return (
        township_id, person_id, list_kind, "open", "import", None,
        values.get("suspected_category"), values.get("medical_records"),
        values.get("notes", ""), now, now,
    )


def apply_plan(township: Township, actor, plan: Plan,
               progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Write a plan in the caller's transaction: villages, new people, changes, entries."""
    now = utcnow()
    villages = dict(plan.villages)
    for name in plan.new_villages:
        village = Village(township_id=township.id, name=name)
        db.session.add(village)
        db.session.flush()
        villages[name] = village.id
    if plan.new_villages:
        record_event("village.created_by_import", actor=actor, township_id=township.id,
                     object_type="villages", details={"count": len(plan.new_villages)})

    changed = plan.changed
    total = len(plan.new) + len(changed)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done = min(done + count, total)
        if progress:
            progress(done, total)

    persons = Person.__table__
    entries = RosterEntry.__table__
    # Read before the rows stream: loading an expired attribute in the middle of a COPY
    # would wait for a connection that is busy with that COPY.
    township_id = township.id
    actor_id = getattr(actor, "id", None)
    with _BulkWriter() as writer:
        stamp = writer.converter(persons, "created_at")(now)
        dates = writer.date_converter(persons, "birth_date")
        ids = writer.new_ids(persons, len(plan.new))
        writer.insert(persons, PERSON_COLUMNS, (
            _new_person_row(person_id, township_id, actor_id, record.values,
                            villages.get(record.values.get("village") or ""), dates, stamp)
            for person_id, record in zip(ids, plan.new)), progress=advance)
        new_entries = [
            _new_entry_row(township_id, person_id, record.values, plan.list_kind, stamp)
            for person_id, record in zip(ids, plan.new)]

        person_updates: list[dict] = []
        entry_updates: list[dict] = []
        for record, row, entry, person_changes, entry_changes in changed:
            if person_changes:
                person_changes = dict(person_changes)
                village = person_changes.pop("village", None)
                if village:
                    person_changes["village_id"] = villages[village]
                person_updates.append({"id": row.id, "updated_at": now, **person_changes})
            if entry is None:
                new_entries.append(_new_entry_row(township_id, row.id, record.values,
                                                  plan.list_kind, stamp))
            elif entry_changes:
                entry_updates.append({"id": entry.id, "updated_at": now, **entry_changes})
        for chunk in _chunks(person_updates):
            _bulk_update(Person, chunk)
            advance(len(chunk))
        for chunk in _chunks(entry_updates):
            _bulk_update(RosterEntry, chunk)
        writer.insert(entries, ENTRY_COLUMNS, iter(new_entries))
    result = ImportResult(len(plan.new), len(changed), len(plan.rejects), plan.rejects,
                          len(plan.new_villages))
    record_event("roster.imported", actor=actor, township_id=township.id,
                 object_type="import_jobs",
                 details={"list_kind": plan.list_kind, "imported": result.imported,
                          "updated": result.updated, "rejected": result.rejected,
                          "villages_created": result.villages_created})
    db.session.flush()
    if progress:
        progress(total, total)
    return result


def _bulk_update(model, rows: list[dict]) -> None:
    # Rows with the same set of changed columns go together (one executemany each).
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    for group in groups.values():
        db.session.execute(update(model), group)


@contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for a bulk import or preview.

    Building tens of thousands of rows would start it again and again, and each time it
    walks the whole sheet just read (a tenth of an import's time); reference counting
    still frees everything, and the collector catches up afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_file(township: Township, actor, path: Path, list_kind: str, *, max_rows: int,
                progress: Callable[[str, int, int], None] | None = None) -> ImportResult:
    """Parse `path` and import its valid rows in the caller's transaction."""
    with _cycle_collector_paused():
        parsed = parse_workbook(
            path, list_kind, max_rows=max_rows,
            progress=(lambda d, t: progress("parsing", d, t)) if progress else None)
        plan = plan_import(township, parsed)
        result = apply_plan(
            township, actor, plan,
            progress=(lambda d, t: progress("importing", d, t)) if progress else None)
    result.headers = parsed.headers
    return result
