"""Writing roster workbooks: blank templates, exports and the rejected-rows file."""
from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from portal.imports.columns import (
    CATEGORY_CODES,
    CATEGORY_NAMES,
    COLUMNS,
    GENDER_NAMES,
    GRADE_NAMES,
    MOBILITY_NAMES,
    TEMPLATE_NOTE,
    TITLES,
)

# A text cell that begins with one of these is read by Excel (and LibreOffice) as a formula once
# it is edited, or by a spreadsheet that imports the values (OWASP "CSV injection"). Every text
# cell a workbook of the portal holds goes through `neutralise`, which puts an apostrophe in
# front; the roster reader takes it off again (portal/imports/cells.py).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The value as a cell may safely hold it: text that could start a formula is quoted."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(v) for v in values]


def _new_book():
    from openpyxl import Workbook

    return Workbook(write_only=True)


def _roster_sheet(book, sheet_name: str, list_kind: str, title: str, rows: Iterable[dict]) -> int:
    """Append one roster sheet: title, header, one row per person; returns the row count."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    columns = COLUMNS[list_kind]
    sheet = book.create_sheet(_sheet_title(sheet_name))

    def text_cell(value):
        # Text format, so that Excel never turns an ID number into a rounded number.
        cell = WriteOnlyCell(sheet, value=neutralise(str(value)))
        cell.number_format = "@"
        return cell

    for i, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "A3"
    sheet.append(safe_row([title]))
    sheet.append([c.title for c in columns])
    count = 0
    for count, row in enumerate(rows, 1):
        sheet.append([count] + [neutralise(_export_value(c.key, row.get(c.key), text_cell))
                                for c in columns[1:]])
    return count


def _export_value(key: str, value: Any, text_cell) -> Any:
    if value is None or value == "":
        return None
    if key in ("id_number", "certificate_number", "phone", "guardian_phone"):
        return text_cell(value)
    if key == "gender":
        return GENDER_NAMES.get(value, value)
    if key == "mobility":
        return MOBILITY_NAMES.get(value, value)
    if key in ("category", "suspected_category"):
        return CATEGORY_NAMES[CATEGORY_CODES.index(value)] if value in CATEGORY_CODES else value
    if key == "grade":
        return GRADE_NAMES.get(value, value)
    if key in ("poverty", "medical_records"):
        return "是" if value else "否"
    return value


def _sheet_title(name: str) -> str:
    cleaned = re.sub(r"[\[\]:*?/\\]", "", name)[:31]
    return cleaned or "Sheet"


def write_rosters(target: str | Path | IO[bytes], list_kind: str,
                  sheets: Iterable[tuple[str, str, Iterable[dict]]],
                  summary: tuple[str, list[str], list[list]] | None = None) -> list[int]:
    """Write roster sheets (name, title, rows), after an optional summary sheet."""
    book = _new_book()
    if summary is not None:
        name, header, body = summary
        sheet = book.create_sheet(_sheet_title(name))
        sheet.append(safe_row(header))
        for line in body:
            sheet.append(safe_row(line))
    counts = [_roster_sheet(book, name, list_kind, title, rows) for name, title, rows in sheets]
    book.save(target)
    return counts


def write_template(target: str | Path | IO[bytes], list_kind: str) -> None:
    """The blank attachment: title, filling note, header; ID and phone columns formatted as text."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    columns = COLUMNS[list_kind]
    book = Workbook()
    sheet = book.active
    sheet.title = TITLES[list_kind][:31]
    last = get_column_letter(len(columns))
    sheet.append([f"XX（乡镇）{TITLES[list_kind]}"])
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([TEMPLATE_NOTE])
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"].alignment = Alignment(wrap_text=True)
    sheet.row_dimensions[2].height = 45
    sheet.append([c.title for c in columns])
    for i, column in enumerate(columns, 1):
        letter = get_column_letter(i)
        sheet.column_dimensions[letter].width = column.width
        sheet.cell(row=3, column=i).font = Font(bold=True)
        if column.key in ("id_number", "certificate_number", "phone", "guardian_phone"):
            for r in range(4, 504):
                sheet.cell(row=r, column=i).number_format = "@"
    sheet.freeze_panes = "A4"
    book.save(target)


def write_rejects(target: str | Path | IO[bytes], header: list[str],
                  rows: Iterable[list]) -> None:
    """A plain sheet of rejected rows: row number, column, reason (and the row's cells)."""
    book = _new_book()
    sheet = book.create_sheet("rejects")
    sheet.append(safe_row(header))
    for row in rows:
        sheet.append(safe_row(row))
    book.save(target)
