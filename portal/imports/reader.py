"""Reading a roster workbook: sniffing, sheets, merged cells, header detection, rows."""
# Files are accepted as they are really made: title and note rows above the header, merged
# cells, header wording variants, blank and total rows, stray and full-width spaces,
# full-width digits, lowercase x.
from __future__ import annotations

import re
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook

from portal.clock import local_today
from portal.imports.cells import _compact, _row_checker, cell_text
from portal.imports.columns import COLUMNS, REQUIRED, Column

HEADER_SCAN_ROWS = 15
_NOTE_PREFIXES = ("注", "说明", "填表", "备注", "制表", "审核", "负责人", "联系人", "单位",
                  "填报", "签字", "盖章")
_TOTAL_ROW = re.compile(r"\s*(合\s*计|总\s*计|小\s*计|共\s*计|累\s*计)")
# The first filled cell of a signature or footer line under a list (填表人：…, 审核人, 联系电话：…,
# 制表日期, 单位（盖章）, 备注：…, 合计 …), its spaces removed. Only a row without a valid ID
# number can be one. "注" and "单位" could begin a name: only followed by a colon or bracket.
_FOOTER_LABEL = re.compile(
    r"(?:填表|填报|制表|审核|审批|审定|复核|核对|负责人|经办人|联系人|联系电话|联系方式|电话"
    r"|手机|签字|签名|盖章|合计|总计|小计|共计|累计|备注|说明|日期|分管领导|主要领导|领导)"
    r"|(?:注|单位)(?:$|[:：(（])")
_PAREN_CONTENT = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_HEADER_JUNK = re.compile(r"[\s*＊※:：()（）\[\]【】/、,，.。_\-]")


class WorkbookError(Exception):
    """The file as a whole cannot be used; `code` says why, `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class Reject:
    row: int  # Excel's row number (1-based)
    column: str  # column key, "" for the row as a whole
    code: str
    params: dict = field(default_factory=dict)
    values: tuple = ()  # the row's cells as text (for the rejects file next to a CLI input)

    def as_json(self) -> list:
        return [self.row, self.column, self.code, self.params]


@dataclass(slots=True)
class Record:
    row: int
    values: dict
    cells: list = field(default_factory=list)  # the row as read, for a rejects file


@dataclass
class ParsedFile:
    list_kind: str
    sheet_name: str
    header_row: int
    columns: dict[str, int]  # key → 0-based column index
    headers: list[str]  # the header row as found (for the rejects file)
    records: list[Record]
    rejects: list[Reject]
    skipped: int  # blank, total and note rows
    # (row, code) of the rows skipped with a word to the user (signature and footer lines).
    notes: list[tuple[int, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.records) + len(self.rejects)


def header_key(text: str) -> str:
    return _HEADER_JUNK.sub("", unicodedata.normalize("NFKC", str(text))).lower()


# --- opening ------------------------------------------------------------------------------

def sniff(path: Path) -> None:
    """Refuse what is not an .xlsx workbook before handing it to the reader."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise WorkbookError("unreadable") from exc
    if not head:
        raise WorkbookError("empty_file")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise WorkbookError("old_xls")
    if not head.startswith(b"PK\x03\x04"):
        raise WorkbookError("not_xlsx")


# The used range a worksheet declares near its start, e.g. <dimension ref="A1:N50002"/>.
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]*\d*:?([A-Z]+)(\d+)"')
# Rows above the first data row a roster may have (title, notes, a two-level header).
HEADER_ROWS = 20


@dataclass(frozen=True)
class PackageLimits:
    """What a roster workbook may hold, checked before it is unpacked into memory."""

    max_rows: int = 50_000
    max_columns: int = 100
    max_unpacked_bytes: int = 300 * 1024 * 1024


def check_package(path: Path, limits: PackageLimits) -> None:
    """Refuse a workbook whose declared size (each sheet's used range) or unpacked size (the
    sum of its parts, counted while they are inflated, so that a lying header does not help a
    zip bomb) is beyond `limits`; nothing is kept in memory."""
    try:
        book = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise WorkbookError("unreadable") from exc
    mb = limits.max_unpacked_bytes // (1024 * 1024)
    with book:
        members = book.infolist()
        if sum(m.file_size for m in members) > limits.max_unpacked_bytes:
            raise WorkbookError("too_large_unpacked", max=mb)
        unpacked = 0
        for member in members:
            is_sheet = member.filename.startswith("xl/worksheets/")
            try:
                with book.open(member) as part:
                    head = part.read(4096)
                    if is_sheet:
                        _check_dimension(head, limits)
                    unpacked += len(head)
                    while chunk := part.read(1 << 20):
                        unpacked += len(chunk)
                        if unpacked > limits.max_unpacked_bytes:
                            raise WorkbookError("too_large_unpacked", max=mb)
            except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
                raise WorkbookError("unreadable") from exc


def _check_dimension(head: bytes, limits: PackageLimits) -> None:
    match = _DIMENSION.search(head)
    if match is None:
        return
    letters, last_row = match.groups()
    columns = 0
    for letter in letters.decode():
        columns = columns * 26 + ord(letter) - 64
    if columns > limits.max_columns:
        raise WorkbookError("too_many_columns", max=limits.max_columns)
    if int(last_row) > limits.max_rows + HEADER_ROWS:
        raise WorkbookError("too_many_rows", max=limits.max_rows)


def read_sheets(path: Path) -> Iterator[tuple[str, list[list], list]]:
    """Each sheet's name, cells (absolute positions) and merged ranges."""
    sniff(path)
    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt files
        raise WorkbookError("unreadable") from exc
    try:
        for name in book.sheet_names:
            try:
                sheet = book.get_sheet_by_name(name)
                cells = sheet.to_python(skip_empty_area=False)
                merged = sheet.merged_cell_ranges or []
            except Exception as exc:
                raise WorkbookError("unreadable") from exc
            yield name, cells, merged
    finally:
        book.close()


def package_limits(max_rows: int) -> PackageLimits:
    """The limits of the running portal's settings (defaults outside an application)."""
    from flask import current_app, has_app_context

    if not has_app_context():
        return PackageLimits(max_rows=max_rows)
    config = current_app.config
    return PackageLimits(max_rows=max_rows,
                         max_columns=config.get("ROSTER_MAX_COLUMNS", 100),
                         max_unpacked_bytes=config.get("ROSTER_MAX_UNPACKED_MB", 300)
                         * 1024 * 1024)


def read_raw(path: Path) -> int:
    """Only read every sheet's cells with the same reader (the benchmark's baseline)."""
    return sum(len(cells) for _, cells, _ in read_sheets(path))


def _fill_merged(cells: list[list], merged: list) -> set[tuple[int, int]]:
    """Copy each merged range's value into all its cells; return the filled positions."""
    filled: set[tuple[int, int]] = set()
    for (r1, c1), (r2, c2) in merged:
        if r1 >= len(cells):
            continue
        value = cells[r1][c1] if c1 < len(cells[r1]) else ""
        for r in range(r1, min(r2, len(cells) - 1) + 1):
            row = cells[r]
            for c in range(c1, min(c2, len(row) - 1) + 1):
                if (r, c) != (r1, c1):
                    row[c] = value
                    filled.add((r, c))
    return filled


def _match_header(texts: list[str], columns: tuple[Column, ...]) -> dict[str, int]:
    """Map column keys to positions for one candidate header row (first match wins)."""
    alias_to_key: dict[str, str] = {}
    for column in columns:
        for alias in column.aliases:
            alias_to_key.setdefault(header_key(alias), column.key)
    found: dict[str, int] = {}
    for index, text in enumerate(texts):
        for candidate in text:
            key = alias_to_key.get(candidate)
            if key and key not in found:
                found[key] = index
                break
    return found


def _header_candidates(cells: list[list], r: int) -> list[list[str]]:
    """For each cell of row r: its own text and, for two-level headers, parent + own text."""
    row = cells[r]
    above = cells[r - 1] if r > 0 else []
    result = []
    for c, value in enumerate(row):
        own = str(value) if value not in (None, "") else ""
        if not own:
            result.append([])
            continue
        variants = []
        parent = str(above[c]) if c < len(above) and above[c] not in (None, "") else ""
        if parent:
            variants.append(header_key(parent + own))
        variants += [header_key(own), header_key(_PAREN_CONTENT.sub("", own))]
        result.append(variants)
    return result


def find_header(cells: list[list], columns: tuple[Column, ...]) -> tuple[int, dict[str, int]]:
    """The (last) header row, 0-based, among the first rows: the one matching most titles.

    A two-level header (a merged "监护人" over "姓名" and "电话") is read as one: each column
    takes the lower row's title, prefixed by the upper one, or else the upper row's title.
    """
    best = (-1, {})
    rows = min(HEADER_SCAN_ROWS, len(cells))
    single = [_header_candidates(cells, r) for r in range(rows)]
    for r in range(rows):
        options = [(r, single[r])]
        if r + 1 < len(cells):
            lower = _header_candidates(cells, r + 1)
            upper = single[r]
            width = max(len(lower), len(upper))
            combined = [(lower[c] if c < len(lower) else []) + (upper[c] if c < len(upper) else [])
                        for c in range(width)]
            options.append((r + 1, combined))
        for index, candidates in options:
            found = _match_header(candidates, columns)
            if len(found) > len(best[1]) and ("name" in found or "id_number" in found):
                best = (index, found)
    if best[0] < 0 or len(best[1]) < 2:
        raise WorkbookError("no_header")
    return best


def _row_is_note(texts: list[str]) -> bool:
    first = texts[0] if texts else ""
    return any(first.startswith(p) for p in _NOTE_PREFIXES)


def is_footer_row(row: list, own: list | None = None) -> bool:
    """Whether a row without a valid ID number is a signature, footer or total line.

    `own` are the row's own cells (those not filled in from a merged range), if known.
    """
    texts = [_compact(cell_text(v)) for v in (row if own is None else own) if v != ""]
    texts = [t for t in texts if t]
    if not texts:
        return False
    return bool(_FOOTER_LABEL.match(texts[0])) or any(_TOTAL_ROW.match(t) for t in texts)


def _titles_that_read_back(headers: list[str], found: dict[str, int],
                           columns: tuple[Column, ...]) -> list[str]:
    """The header row for a rejects file, so that the file, corrected, imports as the original.

    A found column keeps its own title when that title alone names it; otherwise (the "姓名"
    and "电话" under a merged "监护人") it takes the template's title ("监护人姓名").
    """
    by_key = {column.key: column for column in columns}
    titles = list(headers)
    for key, at in found.items():
        column = by_key[key]
        if at < len(titles) and header_key(titles[at]) not in {
                header_key(alias) for alias in column.aliases}:
            titles[at] = column.title
    return titles


CHUNK_ROWS = 2000  # rows validated between two hand-overs to the database writer


@dataclass
class SheetRows:
    """The data rows of a roster sheet whose header was found, validated on demand.

    `chunks()` validates them in order and yields each chunk's accepted records; they are
    appended to `parsed.records` (refused rows to `parsed.rejects`) as it goes, so that an
    import can write the first rows while the next ones are being checked.
    """

    parsed: ParsedFile
    cells: list[list]
    filled: set[tuple[int, int]]
    check: Callable[[list], tuple[dict | None, tuple[str, str, dict] | None]]
    max_rows: int
    progress: Callable[[int, int], None] | None = None

    @property
    def data_rows(self) -> int:
        """Rows below the header (blank, total and note rows included)."""
        return len(self.cells) - self.parsed.header_row

    def release(self) -> None:
        """Let go of the sheet and of the accepted records (once they have been used)."""
        self.cells = []
        self.filled = set()
        self.parsed.records = []

    def column_values(self, key: str) -> list:
        """The cells of a found column in the rows below the header, as read."""
        at = self.parsed.columns[key]
        return [row[at] if at < len(row) else "" for row in self.cells[self.parsed.header_row:]]

    def chunks(self, size: int | None = None) -> Iterator[list[Record]]:
        """Validate the rows, yielding the records accepted in each `size` rows."""
        size = size or CHUNK_ROWS
        result = self.parsed
        cells, filled, check, progress = self.cells, self.filled, self.check, self.progress
        found = result.columns
        header_row = result.header_row - 1
        filled_rows = {r for r, _ in filled}
        content_columns = {i for k, i in found.items() if k != "seq"}
        name_at, id_at = found["name"], found["id_number"]
        width = max(found.values()) + 1
        first_row_of: dict[str, int] = {}
        records, rejects = result.records, result.rejects
        data_rows = self.data_rows
        limit = self.max_rows
        given = len(records)
        checked = len(records) + len(rejects)
        first = header_row + 1
        for r, row in enumerate(cells[first:], first):
            if (r - header_row) % size == 0:
                if progress:
                    progress(r - header_row, data_rows)
                if len(records) > given:
                    yield records[given:]
                    given = len(records)
            if r in filled_rows:
                own = [v for c, v in enumerate(row) if v != "" and (r, c) not in filled]
                if not own:
                    result.skipped += 1
                    continue
            elif row.count("") == len(row):
                result.skipped += 1  # blank
                continue
            else:
                own = None
            cells_read = row
            if len(row) < width:
                row = row + [""] * (width - len(row))
            if row[name_at] in (None, "") and row[id_at] in (None, ""):
                own_cells = [(c, v) for c, v in enumerate(row)
                             if v != "" and (r, c) not in filled]
                if _row_is_note([_compact(cell_text(v)) for _, v in own_cells]):
                    result.skipped += 1
                    result.notes.append((r + 1, "footer"))
                    continue
                if all(c not in content_columns for c, _ in own_cells):
                    result.skipped += 1  # only a number in the 序号 column, or the like
                    continue
            values, problem = check(row)
            if values is None and is_footer_row(cells_read, own):
                result.skipped += 1
                result.notes.append((r + 1, "footer"))
                continue
            if checked >= limit:
                raise WorkbookError("too_many_rows", max=limit)
            checked += 1
            if values is not None:
                # The ID number is valid: the row is a person's, never a footer. A row
                # repeating an earlier number is a duplicate, whatever else is wrong with it.
                number = values["id"].number
                first_row = first_row_of.get(number)
                if first_row is not None:
                    problem = ("id_number", "duplicate", {"row": first_row})
                else:
                    first_row_of[number] = r + 1
                    if problem is None:
                        records.append(Record(r + 1, values, cells_read))
                        continue
            column, code, params = problem
            rejects.append(Reject(r + 1, column, code, params,
                                  tuple(cell_text(v) for v in cells_read)))
        if not records and not rejects:
            raise WorkbookError("no_rows")
        if progress:
            progress(data_rows, data_rows)
        if len(records) > given:
            yield records[given:]


def open_rows(path: Path, list_kind: str, *, max_rows: int = 50_000,
              today: date | None = None,
              progress: Callable[[int, int], None] | None = None,
              limits: PackageLimits | None = None) -> SheetRows:
    """Read `path`, find its roster sheet and header; the rows are validated as asked for."""
    if list_kind not in COLUMNS:
        raise ValueError(list_kind)
    today = today or local_today()
    sniff(path)
    check_package(path, limits or package_limits(max_rows))
    columns = COLUMNS[list_kind]
    chosen = None
    any_content = False
    for name, cells, merged in read_sheets(path):
        if not any(any(v not in (None, "") for v in row) for row in cells[:200]):
            continue
        any_content = True
        filled = _fill_merged(cells, merged)
        try:
            header_row, found = find_header(cells, columns)
        except WorkbookError:
            continue
        chosen = (name, cells, filled, header_row, found)
        break
    if chosen is None:
        raise WorkbookError("no_header" if any_content else "empty")
    name, cells, filled, header_row, found = chosen
    missing = [c.title for c in columns if c.key in REQUIRED and c.key not in found]
    if missing:
        raise WorkbookError("missing_columns", columns="、".join(missing))
    headers = [cell_text(v) for v in cells[header_row]]
    mobility_header = headers[found["mobility"]] if "mobility" in found else ""
    headers = _titles_that_read_back(headers, found, columns)
    parsed = ParsedFile(list_kind, name, header_row + 1, dict(found), headers, [], [], 0)
    return SheetRows(parsed, cells, filled, _row_checker(found, today, mobility_header),
                     max_rows, progress)


def parse_workbook(path: Path, list_kind: str, *, max_rows: int = 50_000,
                   today: date | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ParsedFile:
    """Find the roster sheet of `path` and validate its rows (duplicates inside the file too)."""
    rows = open_rows(path, list_kind, max_rows=max_rows, today=today, progress=progress)
    for _ in rows.chunks():
        pass
    return rows.parsed
