"""Importing the county's valid certificate holders (the national database's export).

The file is read by the roster importer's reader (portal/imports/reader.py: header detection,
merged cells, grade and category spellings, footer and total rows, duplicates inside the file,
formula quotes, package size limits) with the holder columns of portal/imports/columns.py; this
module adds the holder rules (the certificate number belongs with the row's ID number, category
and grade) and writes the register.

A dry run (`plan_holders`) writes nothing and gives the report the preview shows; `apply_plan`
writes it in the caller's transaction, all or nothing. Persons are matched by ID number: a
holder already on a survey list is the same person, updated, never doubled; re-importing the
same or a corrected file updates the entries.
"""
from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.audit.services import record_event
from portal.clock import local_today
from portal.domain.certificate import expiry_date
from portal.extensions import db
from portal.imports.cells import fold
from portal.imports.matching import one_of, persons_by_number, row_values
from portal.imports.reader import ParsedFile, Reject, WorkbookError, open_rows
from portal.reference.models import Township, Village
from portal.register.models import HolderEntry
from portal.register.services import (
    Holding,
    certificate_problem,
    new_person,
    outcome_of,
    record_holding,
)
from portal.rls import across_townships
from portal.rosters.models import Person

SOURCE = "national_db"
_SUFFIXES = re.compile(r"(农场管委会|管委会|街道办事处|街道办|街道|办事处|镇|乡)$")


def _holder_check(base):
    """The reader's row check, followed by the holder rules."""
    def check(row: list):
        values, problem = base(row)
        if values is None or problem is not None:
            return values, problem
        problem = holder_problem(values)
        if problem is not None:
            return {"id": values["id"]}, problem
        return values, None
    return check


def holder_problem(values: dict) -> tuple[str, str, dict] | None:
    """(column, reason code, params) of a row that cannot enter the register, or None; fills
    in the expiry from the issue date (10 years) when only that is given."""
    number = values.get("certificate_number")
    if not number:
        return ("certificate_number", "certificate_missing", {})
    code = certificate_problem(values["id"].number, number, values.get("certificate_category"),
                               values.get("certificate_grade"))
    if code is not None:
        column = {"certificate_category_mismatch": "category",
                  "certificate_grade_mismatch": "grade"}.get(code, "certificate_number")
        return (column, code, {})
    issued = values.get("certificate_issued_on")
    expires = values.get("certificate_expires_on")
    if expires is None:
        if issued is None:
            return ("expires_on", "expiry_missing", {})
        values["certificate_expires_on"] = expiry_date(issued)
    elif issued is not None and issued > expires:
        return ("issued_on", "issued_after_expiry", {})
    return None


def read_holders(path: Path, *, max_rows: int = 50_000, today: date | None = None,
                 progress: Callable[[int, int], None] | None = None) -> ParsedFile:
    """Read and validate a holders file (WorkbookError when the file as a whole is unusable);
    `progress(done, total)` is told how many of the sheet's rows have been read."""
    rows = open_rows(path, "holders", max_rows=max_rows, today=today, progress=progress)
    if "certificate_number" not in rows.parsed.columns:
        raise WorkbookError("missing_columns", columns="残疾人证号")
    rows.check = _holder_check(rows.check)
    for _ in rows.chunks():
        pass
    return rows.parsed


def township_key(name: str) -> str:
    return _SUFFIXES.sub("", "".join(fold(name).split()))


@dataclass
class HolderPlan:
    """What importing a parsed file would do; nothing is written to build it."""

    township_id: int | None  # the township importing its own holders; None: the city
    total: int = 0
    # (record, township, person or None, entry or None, outcome)
    rows: list[tuple] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)  # the file's header row (rejects file)

    @property
    def counts(self) -> Counter:
        counts = Counter(outcome for *_, outcome in self.rows)
        counts["new_persons"] = sum(1 for _, _, person, _, _ in self.rows if person is None)
        counts["matched_persons"] = len(self.rows) - counts["new_persons"]
        counts["rejected"] = len(self.rejects)
        return counts

    def per_township(self) -> list[tuple[Township, int]]:
        counter = Counter(township.id for _, township, *_ in self.rows)
        named = {township.id: township for _, township, *_ in self.rows}
        return sorted(((named[tid], n) for tid, n in counter.items()),
                      key=lambda item: (item[0].position, item[0].id))


def _load(model, column, values: list) -> list:
    if not values:
        return []
    connection = db.session.connection()
    stmt = select(model).where(one_of(connection, column, values))
    with across_townships(connection):
        return list(db.session.scalars(stmt))


def plan_holders(parsed: ParsedFile, township: Township | None) -> HolderPlan:
    """Sort the file's valid rows by township and person; refuse rows of an unknown or another
    township, and (for a township's own import) persons registered elsewhere."""
    db.session.flush()
    plan = HolderPlan(township.id if township else None, total=parsed.total,
                      rejects=list(parsed.rejects), notes=list(parsed.notes),
                      headers=list(parsed.headers))
    townships = {}
    for row in db.session.scalars(select(Township)):
        townships.setdefault(township_key(row.name), row)
        townships.setdefault("".join(fold(row.name).split()), row)
    by_id = {row.id: row for row in townships.values()}
    connection = db.session.connection()
    numbers = [r.values["id"].number for r in parsed.records]
    found = persons_by_number(connection, numbers)
    persons = {p.id: p for p in _load(Person, Person.id, [r.id for r in found.values()])}
    entries = {e.person_id: e for e in _load(HolderEntry, HolderEntry.person_id, list(persons))}
    for record in parsed.records:
        values = record.values
        name = values.get("township")
        named = None
        if name:
            named = townships.get("".join(name.split())) or townships.get(township_key(name))
        if township is not None:
            if name and (named is None or named.id != township.id):
                plan.rejects.append(Reject(record.row, "township", "township_other", {},
                                           row_values(record)))
                continue
            target = township
        elif not name:
            plan.rejects.append(Reject(record.row, "township", "township_missing", {},
                                       row_values(record)))
            continue
        elif named is None:
            plan.rejects.append(Reject(record.row, "township", "township_unknown", {},
                                       row_values(record)))
            continue
        else:
            target = named
        row = found.get(values["id"].number)
        person = persons.get(row.id) if row is not None else None
        if person is not None and person.township_id != target.id:
            if township is not None:
                plan.rejects.append(Reject(record.row, "id_number", "elsewhere", {},
                                           row_values(record)))
                continue
            target = by_id.get(person.township_id) or db.session.get(Township,
                                                                      person.township_id)
        entry = entries.get(person.id) if person is not None else None
        plan.rows.append((record, target, person, entry,
                          outcome_of(entry, holding_of(values), SOURCE)))
    plan.rejects.sort(key=lambda r: r.row)
    return plan


def holding_of(values: dict) -> Holding:
    return Holding(values["certificate_number"], values["certificate_category"],
                   values["certificate_grade"], values.get("certificate_issued_on"),
                   values["certificate_expires_on"])


def _villages(plan: HolderPlan) -> dict[tuple[int, str], int]:
    """The villages new persons live in, by (township id, name), added when new."""
    wanted = {(township.id, record.values["village"])
              for record, township, person, _, _ in plan.rows
              if person is None and record.values.get("village")}
    if not wanted:
        return {}
    township_ids = sorted({tid for tid, _ in wanted})
    known = {(v.township_id, v.name): v for v in db.session.scalars(
        select(Village).where(Village.township_id.in_(township_ids)))}
    for key in sorted(wanted - set(known)):
        known[key] = Village(township_id=key[0], name=key[1])
        db.session.add(known[key])
    db.session.flush()
    return {key: village.id for key, village in known.items()}


def apply_plan(plan: HolderPlan, actor, filename: str = "", today: date | None = None
               ) -> Counter:
    """Write the plan in the caller's transaction (the caller commits, or rolls back on any
    failure: nothing half-written). Returns the outcome counts."""
    today = today or local_today()
    counts = plan.counts
    villages = _villages(plan)
    rows = []
    for record, township, person, entry, _ in plan.rows:
        values = record.values
        if person is None:
            person = new_person(
                township, actor, values["id"], values["name"],
                villages.get((township.id, values.get("village"))),
                phone=values.get("phone", ""),
                poverty_registered=bool(values.get("poverty_registered")))
        rows.append((person, entry, holding_of(values)))
    db.session.flush()  # the new persons, in one go
    for person, entry, holding in rows:
        record_holding(person, holding, SOURCE, actor, entry=entry, known=True, today=today)
    db.session.flush()
    record_event("holder.imported", actor=actor, township_id=plan.township_id,
                 object_type="holder_entries",
                 details={"file": bool(filename), "rows": plan.total,
                          **{key: counts[key] for key in (
                              "new", "updated", "unchanged", "kept", "new_persons",
                              "matched_persons", "rejected")}})
    return counts


def import_holders(path: Path, township: Township | None, actor, *, max_rows: int = 50_000,
                   today: date | None = None) -> tuple[HolderPlan, Counter]:
    """Read, plan and write in one go (the CLI and tests); the caller commits."""
    plan = plan_holders(read_holders(path, max_rows=max_rows, today=today), township)
    return plan, apply_plan(plan, actor, path.name, today)
