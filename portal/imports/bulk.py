"""Matching a parsed file against the database and writing it with driver-level bulk writes."""
from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from pathlib import Path

from sqlalchemy import (
    update,
)

from portal.audit.services import record_event
from portal.extensions import db
from portal.imports.cells import cell_text
from portal.imports.driver import BulkWriter, Pipeline
from portal.imports.matching import (
    Matcher,
    entries_by_person,
    persons_by_number,
    township_villages,
    village_key,
)
from portal.imports.reader import (
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
POSTGRESQL_ROWS_PER_COPY = 8000  # at least, unless no more rows are queued

def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]



# --- writing -------------------------------------------------------------------------------

@dataclass
class ImportResult:
    imported: int
    updated: int
    rejected: int
    rejects: list[Reject]
    villages_created: int
    headers: list[str] = field(default_factory=list)  # the file's header row, for a rejects file
    notes: list[tuple[int, str]] = field(default_factory=list)  # rows skipped with a word


# Columns given row by row, then those that every row of an import shares.
PERSON_ROW_COLUMNS = (
    "id", "village_id", "name", "name_pinyin", "name_initials", "id_number", "id_reversed",
    "birth_date", "gender", "ethnicity", "phone", "mobility", "poverty_registered",
    "guardian_name", "guardian_phone", "certificate_number", "certificate_category",
    "certificate_grade", "certificate_expires_on")
PERSON_SHARED_COLUMNS = (
    "township_id", "address", "deceased", "left_county_on", "created_by_id", "created_at",
    "updated_at")
PERSON_COLUMNS = PERSON_ROW_COLUMNS + PERSON_SHARED_COLUMNS
ENTRY_ROW_COLUMNS = ("person_id", "suspected_category", "medical_records", "notes")
ENTRY_SHARED_COLUMNS = (
    "township_id", "list_kind", "status", "source", "survey_date", "created_at", "updated_at")
ENTRY_COLUMNS = ENTRY_ROW_COLUMNS + ENTRY_SHARED_COLUMNS


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

    def __init__(self, writer: BulkWriter, township_id: int, actor_id: int | None,
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
        self.person_shared = (township_id, "", False, None, actor_id, self.stamp, self.stamp)
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
    return {key for key in map(village_key, set(map(cell_text, set(cells)))) if key}


def _look_up(writer: BulkWriter, numbers: list[str], new_villages: int
             ) -> tuple[dict, Iterator[int]]:
    """The persons holding `numbers`, and keys for the villages likely new."""
    return (persons_by_number(writer.connection, numbers),
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
        result.notes = rows.parsed.notes
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
    with BulkWriter() as writer:
        connection = writer.connection
        matcher = Matcher(township_id, parsed.list_kind,
                           township_villages(connection, township_id))
        numbers = _listed_numbers(rows.column_values("id_number"))
        listed = set(numbers)
        villages = (_listed_villages(rows.column_values("village")) - set(matcher.villages)
                    if "village" in parsed.columns else ())
        later: list[Record] = []  # records whose number was not looked up
        written: list[Future] = []
        with Pipeline(writer.shares_threads) as pipeline:

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
            found = persons_by_number(connection, [r.values["id"].number for r in later])
            new = matcher.sort(later, found)
            importer.write(importer.prepare(new, matcher.take_new_villages()))
            imported += len(new)
        entries = entries_by_person(connection, matcher.own_person_ids(), parsed.list_kind)
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
