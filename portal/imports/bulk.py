"""Matching a parsed file against the database and writing it with driver-level bulk writes."""
from __future__ import annotations

import gc
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from itertools import chain, islice
from itertools import count as count_from
from pathlib import Path
from typing import Any, Self

from sqlalchemy import (
    ARRAY,
    Connection,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import SingletonThreadPool, StaticPool

from portal.audit.services import record_event
from portal.extensions import db
from portal.imports.cells import cell_text, fold
from portal.imports.reader import (
    CHUNK_ROWS,
    ParsedFile,
    Record,
    Reject,
    SheetRows,
    open_rows,
)
from portal.models_base import utcnow
from portal.reference.models import Township, Village
from portal.rosters.models import Person, RosterEntry
from portal.rosters.services import name_keys

CHUNK = 1000
BULK_CACHE_KIB = -65536  # SQLite page cache while writing a list (negative: in KiB)
SQLITE_ROWS_PER_STATEMENT = 4000  # at most, within SQLite's limit of parameters
POSTGRESQL_ROWS_PER_COPY = 8000  # at least, unless no more rows are queued

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


class _Matcher:
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
                    key = village_keys[village] = _village_key(village)
                values["village"] = village = key
            row = found.get(values["id"].number)
            if row is not None and row.township_id != self.township_id:
                self.rejects.append(Reject(record.row, "id_number", "elsewhere", {},
                                           _row_values(record)))
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


def _township_villages(connection: Connection, township_id: int) -> dict[str, int]:
    villages = Village.__table__
    stmt = select(villages.c.name, villages.c.id).where(villages.c.township_id == township_id)
    return {_village_key(name): village_id for name, village_id in connection.execute(stmt)}


def _persons_by_number(connection: Connection, numbers: list[str]) -> dict:
    """Persons holding any of `numbers`, whatever their township, by ID number."""
    if not numbers:
        return {}
    # Deliberately across townships: an ID number exists once per deployment. Columns of
    # a foreign person are read only to refuse the row; nothing of them is shown.
    persons = Person.__table__
    stmt = select(persons).where(_one_of(connection, persons.c.id_number, numbers))
    return {row.id_number: row for row in connection.execute(stmt)}


def _entries_by_person(connection: Connection, person_ids: list[int], list_kind: str) -> dict:
    if not person_ids:
        return {}
    entries = RosterEntry.__table__
    stmt = select(entries).where(_one_of(connection, entries.c.person_id, person_ids),
                                 entries.c.list_kind == list_kind)
    return {row.person_id: row for row in connection.execute(stmt)}


def plan_import(township: Township, parsed: ParsedFile) -> Plan:
    """Sort the file's valid rows into new, existing and refused (registered elsewhere)."""
    db.session.flush()
    connection = db.session.connection()
    matcher = _Matcher(township.id, parsed.list_kind,
                       _township_villages(connection, township.id))
    numbers = [r.values["id"].number for r in parsed.records]
    matcher.sort(parsed.records, _persons_by_number(connection, numbers))
    entries = _entries_by_person(connection, matcher.own_person_ids(), parsed.list_kind)
    plan = Plan(parsed.list_kind, new=matcher.new,
                existing=matcher.existing_with_changes(entries),
                rejects=sorted(parsed.rejects + matcher.rejects, key=lambda r: r.row),
                new_villages=list(matcher.new_villages), villages=matcher.villages)
    return plan


def _one_of(connection: Connection, column, values: list) -> Any:
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


def _row_values(record: Record) -> tuple:
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


# Columns given row by row, then those that every row of an import shares.
PERSON_ROW_COLUMNS = (
    "id", "village_id", "name", "name_pinyin", "name_initials", "id_number", "id_reversed",
    "birth_date", "gender", "ethnicity", "phone", "mobility", "poverty_registered",
    "guardian_name", "guardian_phone", "certificate_number", "certificate_category",
    "certificate_grade", "certificate_expires_on")
PERSON_SHARED_COLUMNS = (
    "township_id", "address", "deceased", "created_by_id", "created_at", "updated_at")
PERSON_COLUMNS = PERSON_ROW_COLUMNS + PERSON_SHARED_COLUMNS
ENTRY_ROW_COLUMNS = ("person_id", "suspected_category", "medical_records", "notes")
ENTRY_SHARED_COLUMNS = (
    "township_id", "list_kind", "status", "source", "survey_date", "created_at", "updated_at")
ENTRY_COLUMNS = ENTRY_ROW_COLUMNS + ENTRY_SHARED_COLUMNS


class _BulkWriter:
    """Inserts many rows through the database driver, in the session's transaction.

    COPY on PostgreSQL, multi-row INSERT statements on SQLite: SQLAlchemy's handling of
    each row's parameters used to cost as much as the database's own work. Values are
    stored exactly as SQLAlchemy stores them (its converters for dates on SQLite).

    The driver lets other threads run while the database works on a statement; on SQLite
    that is once per statement, so each one carries hundreds of rows (a statement per
    row would wait for the interpreter after every row while another thread is busy).
    """

    def __init__(self):
        db.session.flush()
        self.connection = db.session.connection()
        self.dialect = self.connection.dialect
        self.postgresql = self.dialect.name == "postgresql"
        self.driver = self.connection.connection.driver_connection
        self.cache_size = None
        self._statements: dict[tuple[str, int, int], str] = {}

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

    @property
    def shares_threads(self) -> bool:
        """Whether another thread may use this connection (not an in-memory SQLite one)."""
        return self.postgresql or not isinstance(
            self.connection.engine.pool, SingletonThreadPool | StaticPool)

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

    def keys(self, table: Table, count: int) -> Iterator[int]:
        """Primary keys for at least `count` rows about to be inserted (more on SQLite)."""
        if self.postgresql:
            if not count:
                return iter(())
            statement = ("SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                         "FROM generate_series(1, %s)")
            with self._errors_as_sqlalchemy_errors(statement), self.driver.cursor() as cursor:
                cursor.execute(statement, (table.name, count))
                return iter([i for (i,) in cursor.fetchall()])
        # SQLite: a single writer at a time, and the transaction that read max(id) cannot
        # write if another one committed in between, so all numbers above it stay ours.
        statement = f"SELECT coalesce(max(id), 0) FROM {table.name}"
        with self._errors_as_sqlalchemy_errors(statement):
            (last,) = self.driver.execute(statement).fetchone()
        return count_from(last + 1)

    def insert_villages(self, villages: list[tuple[int, int, str]]) -> None:
        """Insert villages given as (id, township id, name), with one statement."""
        if not villages:
            return
        mark = "%s" if self.postgresql else "?"
        statement = (f"INSERT INTO {Village.__table__.name} (id, township_id, name) VALUES "
                     + ", ".join([f"({mark}, {mark}, {mark})"] * len(villages)))
        with self._errors_as_sqlalchemy_errors(statement), closing(self.driver.cursor()) as cursor:
            cursor.execute(statement, list(chain.from_iterable(villages)))

    def rows_per_statement(self, columns: tuple[str, ...], shared: tuple) -> int | None:
        """How many rows `insert` writes with one statement (None: any number)."""
        if self.postgresql:
            return None
        limit = self.driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return max(1, min(SQLITE_ROWS_PER_STATEMENT, (limit - len(shared)) // len(columns)))

    def insert(self, table: Table, columns: tuple[str, ...], rows: list[tuple],
               shared: dict[str, Any] | None = None) -> None:
        """Insert `rows` (tuples in the order of `columns`), each with the `shared` values.

        On SQLite, whole statements of `rows_per_statement` rows, then one statement
        executed for each remaining row.
        """
        if not rows:
            return
        shared = shared or {}
        names = ", ".join(tuple(shared) + columns)
        if self.postgresql:
            head = tuple(shared.values())
            statement = f"COPY {table.name} ({names}) FROM STDIN"
            with (self._errors_as_sqlalchemy_errors(statement), self.driver.cursor() as cursor,
                  cursor.copy(statement) as copy):
                for row in rows:
                    copy.write_row(head + row)
            return
        head = list(shared.values())
        per_statement = self.rows_per_statement(columns, head)
        whole = len(rows) - len(rows) % per_statement
        cursor = self.driver.cursor()
        try:
            if whole:
                statement = self._insert_statement(table.name, names, len(columns), len(head),
                                                   per_statement)
                with self._errors_as_sqlalchemy_errors(statement):
                    for start in range(0, whole, per_statement):
                        cursor.execute(statement, head + list(
                            chain.from_iterable(rows[start:start + per_statement])))
            if whole < len(rows):
                statement = self._insert_statement(table.name, names,
                                                   len(columns) + len(head), 0, 1)
                with self._errors_as_sqlalchemy_errors(statement):
                    cursor.executemany(statement, [(*head, *row) for row in rows[whole:]])
        finally:
            cursor.close()

    def _insert_statement(self, table: str, names: str, width: int, shared: int,
                          count: int) -> str:
        # The shared values are bound once, as ?1 ... ?n at the start of every row; the
        # row's own values follow as plain "?" (numbered on from there). Only the shared
        # ones are numbered: SQLite looks each numbered parameter up in a list of them.
        key = (table, shared, count)
        statement = self._statements.get(key)
        if statement is None:
            row = "(" + ", ".join([f"?{i}" for i in range(1, shared + 1)] + ["?"] * width) + ")"
            statement = f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * count)}"
            self._statements[key] = statement
        return statement


class _Pipeline:
    """Runs database work in order in a thread of its own, while the caller goes on.

    The thread uses the session's connection, and only it does until `close()`: the import
    stays one transaction. A failure there is raised in the caller at its next `submit`
    or at `close`; the work queued after it is skipped. Without a thread (a connection that
    must stay in its thread), work runs at once in the caller.
    """

    def __init__(self, threaded: bool):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._failure: BaseException | None = None
        self._stopping = False
        self._closed = False
        self._thread = (threading.Thread(target=self._run, name="roster-import-writer",
                                         daemon=True) if threaded else None)

    def __enter__(self) -> Self:
        if self._thread is not None:
            self._thread.start()
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is not None:
            self._stopping = True  # the caller failed: skip what is still queued
        self._stop()

    def submit(self, work: Callable, *args) -> Future:
        """Queue `work(*args)`; its future holds the result (at once after `close`)."""
        self._raise_failure()
        future: Future = Future()
        if self._thread is None or self._closed:
            future.set_result(work(*args))
        else:
            self._jobs.put((future, work, args))
        return future

    def busy(self) -> bool:
        """Whether more work is queued (the caller may still be adding to it)."""
        return not self._jobs.empty()

    def close(self) -> None:
        """Wait for all queued work; raise its failure if any."""
        self._stop()
        self._raise_failure()

    def _stop(self) -> None:
        self._closed = True
        if self._thread is not None and self._thread.is_alive():
            self._jobs.put(None)
            self._thread.join()

    def _raise_failure(self) -> None:
        if self._failure is not None:
            raise self._failure

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, work, args = job
            if self._stopping or self._failure is not None:
                future.cancel()
                continue
            try:
                future.set_result(work(*args))
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                self._failure = exc
                future.set_exception(exc)


def _new_person_row(values: dict, village_id: int | None, dates,
                    names: dict[str, tuple[str, str]]) -> tuple:
    """A new person's values of PERSON_ROW_COLUMNS but its key (`names`: name_keys so far)."""
    name = values["name"]
    keys = names.get(name)
    if keys is None:
        keys = names[name] = name_keys(name)
    parsed = values["id"]  # identity_fields(parsed), without building its dict
    number = parsed.number
    get = values.get
    expires = get("certificate_expires_on")
    return (
        village_id, name, *keys, number, number[::-1],
        dates(parsed.birth_date), parsed.gender, get("ethnicity", ""), get("phone", ""),
        get("mobility", "can_travel"), get("poverty_registered", False),
        get("guardian_name", ""), get("guardian_phone", ""), get("certificate_number"),
        get("certificate_category"), get("certificate_grade"),
        None if expires is None else dates(expires),
    )


def _new_entry_row(values: dict) -> tuple:
    """A new entry's values of ENTRY_ROW_COLUMNS but its person's key."""
    return (values.get("suspected_category"), values.get("medical_records"),
            values.get("notes", ""))


class _Keys:
    """Primary keys handed out before the rows are written (entries need their person's)."""

    def __init__(self, keys: Iterator[int], more: Callable[[int], Iterator[int]]):
        self._keys = keys
        self._more = more  # asks the database for keys when those given run out

    def take(self, count: int) -> list[int]:
        taken = list(islice(self._keys, count))
        if len(taken) < count:
            self._keys = self._more(count - len(taken))
            taken += islice(self._keys, count - len(taken))
        return taken


@dataclass
class _Batch:
    """New villages, people and entries, ready to be written."""

    villages: list[tuple[int, int, str]]
    persons: list[tuple]
    entries: list[tuple]


class _Importer:
    """Writes an import's villages, new people and their entries, then its changes.

    `prepare` builds the rows of a batch (Python work) and `write` hands them to the
    database, so that the two can run in different threads.
    """

    def __init__(self, writer: _BulkWriter, township_id: int, actor_id: int | None,
                 list_kind: str, villages: dict[str, int], village_keys: _Keys):
        self.writer = writer
        self.township_id = township_id
        self.actor_id = actor_id
        self.list_kind = list_kind
        self.villages = dict(villages)  # key → id, the new ones added
        self.village_keys = village_keys
        # People's keys are taken as their rows are written.
        self.person_keys = _Keys(iter(()), partial(writer.keys, Person.__table__))
        self.now = utcnow()
        # Read before the rows stream: loading an expired attribute in the middle of a COPY
        # would wait for a connection that is busy with that COPY.
        self.stamp = writer.converter(Person.__table__, "created_at")(self.now)
        self.dates = writer.date_converter(Person.__table__, "birth_date")
        # The values of PERSON_SHARED_COLUMNS and ENTRY_SHARED_COLUMNS.
        self.person_shared = (township_id, "", False, actor_id, self.stamp, self.stamp)
        self.entry_shared = (township_id, list_kind, "open", "import", None, self.stamp,
                             self.stamp)
        self._names: dict[str, tuple[str, str]] = {}  # name → name_keys(name)
        self._persons: list[tuple] = []  # rows `write` keeps back for a whole statement
        self._entries: list[tuple] = []
        self._persons_written = 0
        self._entries_written = 0

    def prepare(self, records: list[Record], village_names: list[str]) -> _Batch:
        """Rows for new people (without their keys) and their entries (without the person's),
        and for the villages they need first."""
        township_id = self.township_id
        added = [name for name in village_names if name not in self.villages]
        villages = list(zip(self.village_keys.take(len(added)), added, strict=True))
        self.villages.update((name, village_id) for village_id, name in villages)
        known, dates, names = self.villages, self.dates, self._names
        return _Batch(
            [(village_id, township_id, name) for village_id, name in villages],
            [_new_person_row(record.values, known.get(record.values.get("village") or ""),
                             dates, names) for record in records],
            [_new_entry_row(record.values) for record in records])

    def write(self, batch: _Batch, more_coming: Callable[[], bool] = bool) -> int:
        """Insert a prepared batch (on SQLite, whole statements of it); its new people.

        On PostgreSQL, rows wait while `more_coming()`: batches queued while the previous
        COPY ran go in with one COPY.
        """
        self.writer.insert_villages(batch.villages)
        ids = self.person_keys.take(len(batch.persons))
        self._persons += [(key, *row) for key, row in zip(ids, batch.persons, strict=True)]
        self._entries += [(key, *row) for key, row in zip(ids, batch.entries, strict=True)]
        self._write_whole_statements(more_coming)
        return len(batch.persons)

    def flush(self) -> None:
        """Insert what `write` kept back."""
        self._insert_persons(len(self._persons))
        self._insert_entries(len(self._entries))

    def _write_whole_statements(self, more_coming: Callable[[], bool]) -> None:
        per_statement = self.writer.rows_per_statement(PERSON_ROW_COLUMNS, self.person_shared)
        if per_statement is None:
            if len(self._persons) >= POSTGRESQL_ROWS_PER_COPY or not more_coming():
                self.flush()
            return
        self._insert_persons(len(self._persons) - len(self._persons) % per_statement)
        # An entry goes in after its person (the foreign key is checked at once).
        per_statement = self.writer.rows_per_statement(ENTRY_ROW_COLUMNS, self.entry_shared)
        ready = min(len(self._entries), self._persons_written - self._entries_written)
        self._insert_entries(ready - ready % per_statement)

    def _insert_persons(self, count: int) -> None:
        if count:
            self.writer.insert(Person.__table__, PERSON_ROW_COLUMNS, self._persons[:count],
                               dict(zip(PERSON_SHARED_COLUMNS, self.person_shared, strict=True)))
            del self._persons[:count]
            self._persons_written += count

    def _insert_entries(self, count: int) -> None:
        if count:
            self.writer.insert(RosterEntry.__table__, ENTRY_ROW_COLUMNS, self._entries[:count],
                               dict(zip(ENTRY_SHARED_COLUMNS, self.entry_shared, strict=True)))
            del self._entries[:count]
            self._entries_written += count

    def apply_changes(self, changed: list[tuple],
                      advance: Callable[[int], None] | None = None) -> None:
        """Update existing people and entries; give people without an entry of the list one."""
        villages = self.villages
        person_updates: list[dict] = []
        entry_updates: list[dict] = []
        new_entries: list[tuple] = []
        for record, row, entry, person_changes, entry_changes in changed:
            if person_changes:
                person_changes = dict(person_changes)
                village = person_changes.pop("village", None)
                if village:
                    person_changes["village_id"] = villages[village]
                person_updates.append({"id": row.id, "updated_at": self.now, **person_changes})
            if entry is None:
                new_entries.append((row.id, *_new_entry_row(record.values)))
            elif entry_changes:
                entry_updates.append({"id": entry.id, "updated_at": self.now, **entry_changes})
        for chunk in _chunks(person_updates):
            _bulk_update(Person, chunk)
            if advance:
                advance(len(chunk))
        for chunk in _chunks(entry_updates):
            _bulk_update(RosterEntry, chunk)
        self._entries += new_entries
        self.flush()


def _record_import(township_id: int, actor, list_kind: str, result: ImportResult) -> None:
    if result.villages_created:
        record_event("village.created_by_import", actor=actor, township_id=township_id,
                     object_type="villages", details={"count": result.villages_created})
    record_event("roster.imported", actor=actor, township_id=township_id,
                 object_type="import_jobs",
                 details={"list_kind": list_kind, "imported": result.imported,
                          "updated": result.updated, "rejected": result.rejected,
                          "villages_created": result.villages_created})
    db.session.flush()


def apply_plan(township: Township, actor, plan: Plan,
               progress: Callable[[int, int], None] | None = None) -> ImportResult:
    """Write a plan in the caller's transaction: villages, new people, changes, entries."""
    changed = plan.changed
    total = len(plan.new) + len(changed)
    done = 0

    def advance(count: int) -> None:
        nonlocal done
        done = min(done + count, total)
        if progress:
            progress(done, total)

    township_id = township.id
    with _BulkWriter() as writer:
        villages = Village.__table__
        importer = _Importer(
            writer, township_id, getattr(actor, "id", None), plan.list_kind, plan.villages,
            _Keys(writer.keys(villages, len(plan.new_villages)), partial(writer.keys, villages)))
        importer.write(importer.prepare([], plan.new_villages))
        for chunk in _chunks(plan.new, CHUNK_ROWS):
            advance(importer.write(importer.prepare(chunk, [])))
        importer.apply_changes(changed, advance)
    result = ImportResult(len(plan.new), len(changed), len(plan.rejects), plan.rejects,
                          len(plan.new_villages))
    _record_import(township_id, actor, plan.list_kind, result)
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


def _listed_numbers(cells: list) -> list[str]:
    """The texts of a column of ID numbers, before the rows are validated.

    Most are the numbers as validated; those that are not (written unusually) are simply
    not found, and their rows are matched once the file has been read.
    """
    return [value for value in set(cells) if value.__class__ is str and len(value) == 18]


def _listed_villages(cells: list) -> set[str]:
    """The village keys a column holds, before the rows are validated."""
    return {key for key in map(_village_key, set(map(cell_text, set(cells)))) if key}


def _look_up(writer: _BulkWriter, numbers: list[str], new_villages: int
             ) -> tuple[dict, Iterator[int]]:
    """The persons holding `numbers`, and keys for the villages likely new."""
    return (_persons_by_number(writer.connection, numbers),
            writer.keys(Village.__table__, new_villages))


def import_file(township: Township, actor, path: Path, list_kind: str, *, max_rows: int,
                progress: Callable[[str, int, int], None] | None = None) -> ImportResult:
    """Parse `path` and import its valid rows in the caller's transaction.

    Rows are written while the next ones are still being validated: the persons holding
    the file's ID numbers are read once at the start, and a thread writes each chunk of
    new people while the next chunk is checked. Rows whose number is written unusually
    (and so was not looked up) wait for the end, as do changes to existing people. All of
    it is one transaction: a failure leaves it to the caller to roll back, as before.
    """
    with _cycle_collector_paused():
        rows = open_rows(path, list_kind, max_rows=max_rows,
                         progress=(lambda d, t: progress("parsing", d, t)) if progress else None)
        result = _import_rows(township, actor, rows, progress)
        result.headers = rows.parsed.headers
    return result


def _import_rows(township: Township, actor, rows: SheetRows,
                 progress: Callable[[str, int, int], None] | None) -> ImportResult:
    parsed = rows.parsed
    chunks = rows.chunks()
    if rows.data_rows > rows.max_rows:
        # Too many rows is only known at the end (blank and total rows do not count):
        # check them all before anything is written.
        chunks = iter([list(chain.from_iterable(chunks))])
    township_id = township.id
    with _BulkWriter() as writer:
        connection = writer.connection
        matcher = _Matcher(township_id, parsed.list_kind,
                           _township_villages(connection, township_id))
        numbers = _listed_numbers(rows.column_values("id_number"))
        listed = set(numbers)
        villages = (_listed_villages(rows.column_values("village")) - set(matcher.villages)
                    if "village" in parsed.columns else ())
        later: list[Record] = []  # records whose number was not looked up
        written: list[Future] = []
        with _Pipeline(writer.shares_threads) as pipeline:

            def more_village_keys(count: int) -> Iterator[int]:
                return pipeline.submit(writer.keys, Village.__table__, count).result()

            lookup = pipeline.submit(_look_up, writer, numbers, len(villages))
            importer: _Importer | None = None
            found: dict = {}

            def start() -> _Importer:
                nonlocal found
                found, village_keys = lookup.result()
                return _Importer(
                    writer, township_id, getattr(actor, "id", None), parsed.list_kind,
                    matcher.villages, _Keys(village_keys, more_village_keys))

            for chunk in chunks:
                importer = importer or start()
                unlisted = [r for r in chunk if r.values["id"].number not in listed]
                if unlisted:
                    later += unlisted
                    chunk = [r for r in chunk if r.values["id"].number in listed]
                new = matcher.sort(chunk, found)
                names = matcher.take_new_villages()
                if new or names:
                    written.append(pipeline.submit(importer.write, importer.prepare(new, names),
                                                   pipeline.busy))
            total = len(matcher.new) + len(matcher.existing) + len(later)
            imported = len(matcher.new)
            # Written or being written: freed while the writer finishes.
            matcher.new = []
            rows.release()
            done = 0
            for future in written:
                done += future.result()
                if progress:
                    progress("importing", done, total)
            importer = importer or start()
            pipeline.close()
        # The connection is this thread's again.
        if later:
            found = _persons_by_number(connection, [r.values["id"].number for r in later])
            new = matcher.sort(later, found)
            importer.write(importer.prepare(new, matcher.take_new_villages()))
            imported += len(new)
        entries = _entries_by_person(connection, matcher.own_person_ids(), parsed.list_kind)
        changed = [e for e in matcher.existing_with_changes(entries)
                   if e[3] or e[4] or e[2] is None]
        importer.apply_changes(changed)
    rejects = sorted(parsed.rejects + matcher.rejects, key=lambda r: r.row)
    result = ImportResult(imported, len(changed), len(rejects), rejects,
                          len(matcher.new_villages))
    _record_import(township_id, actor, parsed.list_kind, result)
    if progress:
        progress("importing", total, total)
    return result
