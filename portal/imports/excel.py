"""Reading and writing the two roster attachments as Excel workbooks (no Flask here).

The column titles are the seed's attachment format: Chinese, whatever the interface language,
because township officials fill in and exchange these files in that form. The reader accepts
files as they are really made: title and note rows above the header, merged cells, header
wording variants, blank and total rows, stray and full-width spaces, full-width digits,
lowercase x. Every problem is reported as a code (translated by the portal), never as text.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import mul
from pathlib import Path
from typing import IO, Any

from python_calamine import CalamineWorkbook

from portal.domain.idcard import PROVINCE_CODES, WEIGHTS, IdNumber, IdNumberError, parse

LIST_KINDS = ("expired", "suspected")
HEADER_SCAN_ROWS = 15


@dataclass(frozen=True)
class Column:
    key: str
    title: str  # as written in the template and in exports
    aliases: tuple[str, ...]
    width: int = 12


COMMON_COLUMNS = (
    Column("seq", "序号", ("序号", "编号", "序")),
    Column("name", "姓名", ("姓名", "名字", "残疾人姓名")),
    Column("gender", "性别", ("性别",), 6),
    Column("ethnicity", "民族", ("民族", "族别"), 8),
    Column("id_number", "公民身份号码", (
        "公民身份号码", "身份证号", "身份证号码", "公民身份证号码", "公民身份证号", "身份证",
        "证件号码", "身份号码"), 22),
    Column("village", "所在村（社区）", (
        "所在村社区", "所在村", "村社区", "村居委会", "所在村居委会", "村委会", "所在村委会",
        "行政村", "村名", "所属村", "村", "村居"), 14),
    Column("phone", "联系电话", (
        "联系电话", "电话", "手机", "手机号", "手机号码", "电话号码", "联系方式"), 14),
    Column("poverty", "是否建档立卡贫困户", (
        "是否建档立卡贫困户", "是否建档立卡", "建档立卡贫困户", "建档立卡", "是否贫困户",
        "建档立卡户"), 10),
    Column("mobility", "行动能力", (
        "行动能力", "能否出行", "是否能出行", "是否卧床", "出行能力", "行动情况"), 10),
)
EXPIRED_COLUMNS = COMMON_COLUMNS + (
    Column("certificate_number", "原残疾证号", (
        "原残疾证号", "残疾证号", "残疾人证号", "原残疾人证号", "原证号", "残疾证号码", "证号"),
        24),
    Column("category", "残疾类别", ("残疾类别", "类别", "原残疾类别"), 10),
    Column("grade", "残疾等级", ("残疾等级", "等级", "原残疾等级"), 8),
    Column("expires_on", "有效期至", (
        "有效期至", "有效期", "到期日期", "有效期限", "证件有效期", "到期时间", "有效截止日期",
        "失效日期", "有效期截止"), 12),
)
SUSPECTED_COLUMNS = COMMON_COLUMNS + (
    Column("suspected_category", "疑似残疾类别", (
        "疑似残疾类别", "疑似类别", "残疾类别", "类别"), 10),
    Column("medical_records", "是否有病历", (
        "是否有病历", "有无病历", "病历", "是否有病历资料", "有无病历资料"), 10),
    Column("guardian_name", "监护人姓名", ("监护人姓名", "监护人", "代理人姓名", "监护人代理人姓名")),
    Column("guardian_phone", "监护人电话", (
        "监护人电话", "监护人联系电话", "监护人手机", "代理人电话"), 14),
    Column("notes", "备注", ("备注", "说明"), 20),
)
COLUMNS = {"expired": EXPIRED_COLUMNS, "suspected": SUSPECTED_COLUMNS}
REQUIRED = ("name", "id_number")
TITLES = {"expired": "过期失效持证残疾人名单", "suspected": "疑似残疾人名单"}
TEMPLATE_NOTE = (
    "填表说明：公民身份号码请按文本填写（18位，末位X可大写或小写）；性别须与身份号码一致；"
    "是否建档立卡贫困户填“是/否”；行动能力填“能出行/行动不便/卧床”；"
    "残疾类别填视力、听力、言语、肢体、智力、精神、多重；残疾等级填一级至四级；"
    "日期填2020-12-31。"
)

CATEGORY_CODES = ("vision", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
CATEGORY_NAMES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
_CATEGORY_WORDS = {name: code for name, code in zip(CATEGORY_NAMES, CATEGORY_CODES)} | {
    "语言": "speech", "综合": "multiple", "视力残疾": "vision", "盲": "vision", "聋": "hearing",
} | {str(i): code for i, code in enumerate(CATEGORY_CODES, 1)} | {c: c for c in CATEGORY_CODES}
_GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4,
                "Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "I": 1, "II": 2, "III": 3, "IV": 4}
GRADE_NAMES = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
GENDER_NAMES = {"male": "男", "female": "女"}
MOBILITY_NAMES = {"can_travel": "能出行", "limited": "行动不便", "bedridden": "卧床"}
_YES = {"是", "有", "y", "yes", "√", "✓", "✔", "1", "true", "对"}
_NO = {"否", "无", "没有", "n", "no", "×", "✗", "0", "false", "不是"}
_NOTE_PREFIXES = ("注", "说明", "填表", "备注", "制表", "审核", "负责人", "联系人", "单位",
                  "填报", "签字", "盖章")
_WS = re.compile(r"\s+")
_WS_INNER = re.compile(r"\s\s|[^\S ]")
_TOTAL_ROW = re.compile(r"\s*(合\s*计|总\s*计|小\s*计|共\s*计|累\s*计)")
_PAREN_CONTENT = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")
_HEADER_JUNK = re.compile(r"[\s*＊※:：()（）\[\]【】/、,，.。_\-]")
_PHONE = re.compile(r"^[0-9+()\-/ ,;]{5,40}$")
_CERT = re.compile(r"^[0-9A-Z]{6,22}$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = date(1899, 12, 30)


class WorkbookError(Exception):
    """The file as a whole cannot be used; `code` says why, `params` fill the message."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params


class CellError(ValueError):
    """One cell cannot be used; the message is the reason code."""


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

    @property
    def total(self) -> int:
        return len(self.records) + len(self.rejects)


# --- text helpers -------------------------------------------------------------------------

def fold(text: str) -> str:
    """Full-width → half-width (NFKC), whitespace collapsed and trimmed."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    return _WS.sub(" ", text) if _WS_INNER.search(text) else text


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without '.0', dates in ISO form."""
    if value.__class__ is str:  # most cells
        return fold(value) if value else ""
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return fold(str(value))


def header_key(text: str) -> str:
    return _HEADER_JUNK.sub("", unicodedata.normalize("NFKC", str(text))).lower()


def _compact(text: str) -> str:
    return _WS.sub("", text)


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


# --- value parsers (each returns the value or raises CellError(code)) --------------------

def parse_yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = _compact(cell_text(value)).lower()
    if not text:
        return None
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise CellError("yes_no")


def parse_gender(value: Any) -> str | None:
    text = _compact(cell_text(value)).lower()
    if not text:
        return None
    if text in ("男", "男性", "m", "male"):
        return "male"
    if text in ("女", "女性", "f", "female"):
        return "female"
    raise CellError("gender")


def parse_mobility(value: Any, header: str = "") -> str | None:
    text = _compact(cell_text(value)).lower()
    if not text:
        return None
    if text in ("can_travel", "limited", "bedridden"):
        return text
    if "卧床" in text or "瘫痪" in text:
        return "bedridden"
    if any(w in text for w in ("不便", "协助", "轮椅", "不能", "困难", "搀扶")):
        return "limited"
    if text in ("能", "能出行", "可以", "可以出行", "可出行", "能自行出行", "正常", "自理", "可"):
        return "can_travel"
    if text in _YES or text in _NO:
        yes = text in _YES
        if "卧床" in header:
            return "bedridden" if yes else "can_travel"
        if "出行" in header:
            return "can_travel" if yes else "limited"
    raise CellError("mobility")


def parse_category(value: Any) -> str | None:
    text = _compact(cell_text(value)).lower()
    if not text:
        return None
    for word in (text, text.removesuffix("残疾"), text.removesuffix("残疾类"),
                 text.removesuffix("类")):
        if word in _CATEGORY_WORDS:
            return _CATEGORY_WORDS[word]
    raise CellError("category")


def parse_grade(value: Any) -> int | None:
    text = _compact(cell_text(value)).upper()
    if not text:
        return None
    word = text.removesuffix("级").removeprefix("第")
    if word in _GRADE_WORDS:
        return _GRADE_WORDS[word]
    raise CellError("grade")


def parse_date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError("date")
    if isinstance(value, int | float):
        number = int(value)
        if number != value:
            raise CellError("date")
        if 18000101 <= number <= 29991231:
            return _ymd(str(number))
        if 1 <= number < 2958466:  # an Excel serial day number without a date format
            return _EXCEL_EPOCH + timedelta(days=number)
        raise CellError("date")
    text = cell_text(value)
    if not text:
        return None
    compact = _compact(text)
    if re.fullmatch(r"\d{8}", compact):
        return _ymd(compact)
    match = _DATE.match(compact)
    if not match:
        raise CellError("date")
    return _ymd("".join(f"{int(p):02d}" for p in match.groups()))


def _ymd(text: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise CellError("date") from exc


def parse_phone(value: Any) -> str:
    if value.__class__ is str and 5 <= len(value) <= 40 and value.isascii() and value.isdigit():
        return value[:30]  # already clean: the usual case
    text = cell_text(value)
    if not text:
        return ""
    if not _PHONE.match(text):
        raise CellError("phone")
    return text[:30]


def parse_certificate_number(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise CellError("certificate_numeric")
    text = re.sub(r"[\s'’‘\"-]", "", unicodedata.normalize("NFKC", str(value))).upper()
    if not text:
        return None
    if not _CERT.match(text):
        raise CellError("certificate_number")
    return text


def _short_text(value: Any, limit: int, code: str) -> str:
    text = cell_text(value)
    if len(text) > limit:
        raise CellError(code)
    return text


def clean_name(value: Any) -> str:
    text = cell_text(value)
    # Chinese names carry no spaces: "张 三" and "张　三" are typing slips.
    text = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)
    return text


# --- rows ---------------------------------------------------------------------------------

Parser = Callable[[Any], Any]

_FIELD_PARSERS: dict[str, tuple[str, Parser]] = {
    "ethnicity": ("ethnicity", lambda v: _short_text(v, 20, "ethnicity")),
    "village": ("village", lambda v: _compact(_short_text(v, 100, "village"))),
    "phone": ("phone", parse_phone),
    "poverty": ("poverty_registered", parse_yes_no),
    "certificate_number": ("certificate_number", parse_certificate_number),
    "category": ("certificate_category", parse_category),
    "grade": ("certificate_grade", parse_grade),
    "expires_on": ("certificate_expires_on", parse_date),
    "suspected_category": ("suspected_category", parse_category),
    "medical_records": ("medical_records", parse_yes_no),
    "guardian_name": ("guardian_name", lambda v: clean_name(_short_text(v, 60, "guardian_name"))),
    "guardian_phone": ("guardian_phone", parse_phone),
    "notes": ("notes", lambda v: _short_text(v, 2000, "notes")),
}


class _Failed:
    """A remembered CellError: the reason code of a text that did not parse."""

    __slots__ = ("code",)

    def __init__(self, code: str):
        self.code = code


_NOT_SEEN = object()
_ID_DIGITS = re.compile(r"[0-9]{17}[0-9Xx]")
_WEIGHT_OFFSET = 48 * sum(WEIGHTS)  # "0" is byte 48


def _plain_id(raw: Any, today: date) -> IdNumber:
    """`parse` for the common case (18 ASCII characters); anything else goes to `parse`."""
    if raw.__class__ is str and len(raw) == 18 and _ID_DIGITS.fullmatch(raw):
        text = raw if raw[17] != "x" else raw.upper()
        if text[:2] in PROVINCE_CODES:
            try:
                born = date.fromisoformat(text[6:14])  # YYYYMMDD, ASCII digits only here
            except ValueError:
                born = None
            if born is not None and born <= today and born.year >= 1880:
                total = sum(map(mul, text[:17].encode(), WEIGHTS)) - _WEIGHT_OFFSET
                if "10X98765432"[total % 11] == text[17]:
                    gender = "male" if int(text[16]) % 2 == 1 else "female"
                    return IdNumber(text, born, gender, text[:6], None)
    return parse(raw if raw != "" else None, today)


def _row_checker(found: dict[str, int], today: date, mobility_header: str
                 ) -> Callable[[list], tuple[dict | None, tuple[str, str, dict] | None]]:
    """Validate one data row: (values, None) or (None, (column, code, params)).

    Built once per file: cells are read by position, and what each distinct text of a
    column parsed to is remembered (a list repeats the same few values down a column).
    """
    name_at = found["name"]
    id_at = found["id_number"]
    gender_at = found.get("gender")
    mobility_at = found.get("mobility")
    fields = [(key, found[key], target, parser, {})
              for key, (target, parser) in _FIELD_PARSERS.items() if key in found]
    genders: dict[str, Any] = {}
    mobilities: dict[str, Any] = {}
    is_normalized = unicodedata.is_normalized

    def check(row: list) -> tuple[dict | None, tuple[str, str, dict] | None]:
        value = row[name_at]
        if value.__class__ is str and value.isalnum() and is_normalized("NFKC", value):
            name = value  # clean_name would return it unchanged
        else:
            name = clean_name(value)
        try:
            parsed = _plain_id(row[id_at], today)
        except IdNumberError as exc:
            return None, ("id_number", "id_" + exc.code, {})
        if not name:
            return None, ("name", "name_missing", {})
        if len(name) > 60 or name.isdigit():
            return None, ("name", "name_invalid", {})
        values: dict[str, Any] = {"name": name, "id": parsed}
        if gender_at is not None:
            value = row[gender_at]
            gender = genders.get(value, _NOT_SEEN) if value.__class__ is str else _NOT_SEEN
            if gender is _NOT_SEEN:
                try:
                    gender = parse_gender(value)
                except CellError as exc:
                    gender = _Failed(str(exc))
                if value.__class__ is str:
                    genders[value] = gender
            if gender.__class__ is _Failed:
                return None, ("gender", "gender", {})
            if gender is not None and gender != parsed.gender:
                return None, ("gender", "gender_mismatch", {})
        if mobility_at is not None:
            value = row[mobility_at]
            mobility = mobilities.get(value, _NOT_SEEN) if value.__class__ is str else _NOT_SEEN
            if mobility is _NOT_SEEN:
                try:
                    mobility = parse_mobility(value, mobility_header)
                except CellError as exc:
                    mobility = _Failed(str(exc))
                if value.__class__ is str:
                    mobilities[value] = mobility
            if mobility.__class__ is _Failed:
                return None, ("mobility", "mobility", {})
            if mobility is not None:
                values["mobility"] = mobility
        for key, at, target, parser, seen in fields:
            value = row[at]
            result = seen.get(value, _NOT_SEEN) if value.__class__ is str else _NOT_SEEN
            if result is _NOT_SEEN:
                try:
                    result = parser(value)
                except CellError as exc:
                    result = _Failed(str(exc))
                if value.__class__ is str:
                    seen[value] = result
            if result.__class__ is _Failed:
                return None, (key, result.code, {})
            if result is not None and result != "":
                values[target] = result
        number = values.get("certificate_number")
        if number and len(number) in (20, 22) and number[18] in "1234567" and (
                number[19] in "1234"):
            values.setdefault("certificate_category", CATEGORY_CODES[int(number[18]) - 1])
            values.setdefault("certificate_grade", int(number[19]))
        return values, None

    return check


def _row_is_note(texts: list[str]) -> bool:
    first = texts[0] if texts else ""
    return any(first.startswith(p) for p in _NOTE_PREFIXES)


def parse_workbook(path: Path, list_kind: str, *, max_rows: int = 50_000,
                   today: date | None = None,
                   progress: Callable[[int, int], None] | None = None) -> ParsedFile:
    """Find the roster sheet of `path` and validate its rows (duplicates inside the file too)."""
    if list_kind not in COLUMNS:
        raise ValueError(list_kind)
    today = today or date.today()
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
    filled_rows = {r for r, _ in filled}
    content_columns = {i for k, i in found.items() if k != "seq"}

    result = ParsedFile(list_kind, name, header_row + 1, dict(found), headers, [], [], 0)
    check = _row_checker(found, today, mobility_header)
    name_at, id_at = found["name"], found["id_number"]
    width = max(found.values()) + 1
    first_row_of: dict[str, int] = {}
    data_rows = len(cells) - header_row - 1
    for r in range(header_row + 1, len(cells)):
        row = cells[r]
        excel_row = r + 1
        if progress and (r - header_row) % 1000 == 0:
            progress(r - header_row, data_rows)
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
        # A total row (合计, 小计 ...): only a cell holding 计 can be one.
        if "计" in "".join([v for v in row if v.__class__ is str]) and any(
                isinstance(v, str) and _TOTAL_ROW.match(v)
                for v in (own if own is not None else row) if v != ""):
            result.skipped += 1
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if row[name_at] in (None, "") and row[id_at] in (None, ""):
            own_cells = [(c, v) for c, v in enumerate(row) if v != "" and (r, c) not in filled]
            if (all(c not in content_columns for c, _ in own_cells)
                    or _row_is_note([_compact(cell_text(v)) for _, v in own_cells])):
                result.skipped += 1
                continue
        if len(result.records) + len(result.rejects) >= max_rows:
            raise WorkbookError("too_many_rows", max=max_rows)
        values, problem = check(row)
        if values is not None:
            number = values["id"].number
            if number in first_row_of:
                problem = ("id_number", "duplicate", {"row": first_row_of[number]})
            else:
                first_row_of[number] = excel_row
                result.records.append(Record(excel_row, values, cells[r]))
                continue
        column, code, params = problem
        result.rejects.append(Reject(excel_row, column, code, params,
                                     tuple(cell_text(v) for v in cells[r])))
    if not result.records and not result.rejects:
        raise WorkbookError("no_rows")
    if progress:
        progress(data_rows, data_rows)
    return result


# --- writing ------------------------------------------------------------------------------

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
        cell = WriteOnlyCell(sheet, value=str(value))
        cell.number_format = "@"
        return cell

    for i, column in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "A3"
    sheet.append([title])
    sheet.append([c.title for c in columns])
    count = 0
    for count, row in enumerate(rows, 1):
        sheet.append([count] + [_export_value(c.key, row.get(c.key), text_cell)
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
        sheet.append(header)
        for line in body:
            sheet.append(line)
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
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(target)
