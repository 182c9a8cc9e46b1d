"""The civil-affairs list of deceased persons (民政死亡名单), as CSV or XLSX: every row checked
with a reason in words, a dry run first, then all or nothing.

A row needs the name, the ID number and the date of death. The ID number must be valid and
appear once; the date must be a real day, not in the future nor before the birth date in the
ID number; where the portal knows the person, the name must be the one registered with that
ID number (a mistyped number must never mark somebody else deceased). Persons the portal does
not know are skipped (most of a county's deceased never held a certificate). A known person is
recorded as deceased; a holder's certificate is cancelled (reason: death, from the list).
"""
from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.audit.services import record_event
from portal.domain import idcard
from portal.extensions import db
from portal.imports import messages
from portal.imports.cells import CellError, cell_text, clean_name, parse_date
from portal.imports.reader import (
    WorkbookError,
    check_package,
    header_key,
    package_limits,
    read_sheets,
)
from portal.lifecycle.cancellations import record_listed_death
from portal.lifecycle.holding import current_holding
from portal.refusals import Refused
from portal.rosters.models import Person
from portal.tenancy import scoped

HEADER_SCAN_ROWS = 15
HEADERS = {
    "name": ("姓名", "死者姓名", "死亡人员姓名", "name"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "公民身份证号码", "证件号码",
                  "身份号码", "idnumber"),
    "died_on": ("死亡日期", "死亡时间", "死亡年月日", "死亡日期年月日", "dateofdeath"),
}
_KEYS = {header_key(text): key for key, texts in HEADERS.items() for text in texts}
OUTCOMES = ("cancel", "deceased", "already", "unknown")


@dataclass
class DeathRow:
    """One data row: what it says, whom it names, what importing it would do, or why not."""

    row: int
    name: str
    id_number: str | None = None
    died_on: date | None = None
    person: Person | None = None
    outcome: str = ""
    problems: list[tuple[str, dict]] = field(default_factory=list)


@dataclass
class DeathPlan:
    rows: list[DeathRow]

    @property
    def refused(self) -> list[DeathRow]:
        return [r for r in self.rows if r.problems]

    @property
    def counts(self) -> Counter:
        return Counter(r.outcome for r in self.rows if not r.problems)


# --- reading ------------------------------------------------------------------------------

def _csv_rows(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise Refused("life_deaths_unreadable", field="file")
    first = text.split("\n", 1)[0]
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(path: Path, max_rows: int) -> list[list]:
    try:
        check_package(path, package_limits(max_rows))
        for _name, cells, _merged in read_sheets(path):
            if any(any(cell not in (None, "") for cell in row) for row in cells):
                return cells
    except WorkbookError as exc:
        code = {"old_xls": "life_deaths_old_xls", "too_many_rows": "life_deaths_too_many_rows"
                }.get(exc.code, "life_deaths_unreadable")
        raise Refused(code, field="file", max=max_rows) from None
    return []


def _header(cells: list[list]) -> tuple[int, dict[str, int]]:
    for index, row in enumerate(cells[:HEADER_SCAN_ROWS]):
        found = {}
        for column, value in enumerate(row):
            key = _KEYS.get(header_key(cell_text(value)))
            if key and key not in found:
                found[key] = column
        if len(found) == len(HEADERS):
            return index, found
    raise Refused("life_deaths_no_header", field="file")


def read_list(path: Path, *, max_rows: int) -> list[tuple[int, str, object, object]]:
    """(row number, name, ID cell, date cell) of every filled data row of the file."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise Refused("life_deaths_unreadable", field="file")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Refused("life_deaths_old_xls", field="file")
    cells = _xlsx_rows(path, max_rows) if head.startswith(b"PK\x03\x04") else \
        _csv_rows(path.read_bytes())
    start, columns = _header(cells)
    rows = []
    for index, row in enumerate(cells[start + 1:], start=start + 2):
        values = [row[columns[key]] if columns[key] < len(row) else "" for key in HEADERS]
        if all(cell_text(v) == "" for v in values):
            continue
        rows.append((index, clean_name(values[0]), values[1], values[2]))
    if not rows:
        raise Refused("life_deaths_no_rows", field="file")
    if len(rows) > max_rows:
        raise Refused("life_deaths_too_many_rows", field="file", max=max_rows)
    return rows


# --- checking -----------------------------------------------------------------------------

def _check_row(row: DeathRow, id_cell, date_cell, today: date) -> date | None:
    """Fill the row's ID number and date of death, or its problems; the birth date."""
    born = None
    if not row.name:
        row.problems.append(("life_row_name_missing", {}))
    try:
        parsed = idcard.parse(id_cell if cell_text(id_cell) else None, today)
        row.id_number, born = parsed.number, parsed.birth_date
    except idcard.IdNumberError as exc:
        row.problems.append(("life_row_id_invalid",
                             {"reason": messages.reason_text("id_" + exc.code)}))
    try:
        row.died_on = parse_date(date_cell)
    except CellError:
        row.problems.append(("life_row_date_invalid", {}))
        return born
    if row.died_on is None:
        row.problems.append(("life_row_date_missing", {}))
    elif row.died_on > today:
        row.problems.append(("life_row_date_future", {}))
    elif born is not None and row.died_on < born:
        row.problems.append(("life_row_date_before_birth", {}))
    return born


def _match(rows: list[DeathRow], access) -> None:
    numbers = sorted({r.id_number for r in rows if r.id_number})
    persons = {p.id_number: p for p in db.session.scalars(
        scoped(select(Person), access).where(Person.id_number.in_(numbers or ["-"])))}
    for row in rows:
        person = persons.get(row.id_number) if row.id_number else None
        row.person = person
        if person is None:
            row.outcome = "unknown"
        elif "".join(person.name.split()) != "".join(row.name.split()):
            row.problems.append(("life_row_name_mismatch", {"registered": person.name}))
        elif person.deceased:
            row.outcome = "already"
        else:
            row.outcome = "cancel" if current_holding(person) is not None else "deceased"


def plan_deaths(raw_rows, access, today: date) -> DeathPlan:
    """What importing the rows would do; nothing is written."""
    rows, first_row = [], {}
    for number, name, id_cell, date_cell in raw_rows:
        row = DeathRow(row=number, name=name)
        _check_row(row, id_cell, date_cell, today)
        if row.id_number:
            if row.id_number in first_row:
                row.problems.append(("life_row_duplicate", {"row": first_row[row.id_number]}))
            else:
                first_row[row.id_number] = number
        rows.append(row)
    _match(rows, access)
    return DeathPlan(rows)


def apply_deaths(plan: DeathPlan, actor, access, *, today: date) -> Counter:
    """Record every listed death the plan found (all or nothing: a plan with a refused row
    is refused as a whole)."""
    if plan.refused:
        raise Refused("life_deaths_rows_refused", count=len(plan.refused))
    counts = plan.counts
    for row in plan.rows:
        if row.outcome in ("cancel", "deceased"):
            record_listed_death(row.person, actor, access, died_on=row.died_on, today=today)
    db.session.flush()
    record_event("certificate_life.deaths_imported", actor=actor, object_type="persons",
                 details={"rows": len(plan.rows),
                          **{key: counts.get(key, 0) for key in OUTCOMES}})
    return counts
