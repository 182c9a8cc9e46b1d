"""Cell parsers (dates, yes/no, categories, grades, phones, names, IDs) and the row checker."""
# Every problem is reported as a code (translated by the portal), never as text.
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from portal.domain.idcard import PROVINCE_CODES, IdNumber, IdNumberError, parse
from portal.imports.columns import CATEGORY_CODES, CATEGORY_NAMES

_CATEGORY_WORDS = {name: code for name, code in zip(CATEGORY_NAMES, CATEGORY_CODES)} | {
    "语言": "speech", "综合": "multiple", "视力残疾": "vision", "盲": "vision", "聋": "hearing",
} | {str(i): code for i, code in enumerate(CATEGORY_CODES, 1)} | {c: c for c in CATEGORY_CODES}
# Grades as officials write them, after NFKC folding and upper-casing (which turn
# full-width digits into ASCII ones and the Roman numeral signs Ⅰ…Ⅳ, ⅰ…ⅳ into I…IV).
_GRADE_WORDS = {"一": 1, "二": 2, "三": 3, "四": 4, "壹": 1, "贰": 2, "貳": 2, "叁": 3,
                "參": 3, "肆": 4, "1": 1, "2": 2, "3": 3, "4": 4,
                "I": 1, "II": 2, "III": 3, "IV": 4}
_YES = {"是", "有", "y", "yes", "√", "✓", "✔", "1", "true", "对"}
_NO = {"否", "无", "没有", "n", "no", "×", "✗", "0", "false", "不是"}
_WS = re.compile(r"\s+")
_WS_INNER = re.compile(r"\s\s|[^\S ]")
_PHONE = re.compile(r"^[0-9+()\-/ ,;]{5,40}$")
_CERT = re.compile(r"^[0-9A-Z]{6,22}$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = date(1899, 12, 30)


class CellError(ValueError):
    """One cell cannot be used; the message is the reason code."""


# --- text helpers -------------------------------------------------------------------------

def fold(text: str) -> str:
    """Full-width → half-width (NFKC), whitespace collapsed and trimmed."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = text.strip()
    return _WS.sub(" ", text) if _WS_INNER.search(text) else text


FORMULA_MARKS = frozenset("=+-@\t\r")


def cell_text(value: Any) -> str:
    """A cell as text: integral numbers without '.0', dates in ISO form."""
    if value.__class__ is str:  # most cells
        if value[:1] == "'" and value[1:2] in FORMULA_MARKS:
            value = value[1:]  # quoted by the portal's own export (portal/imports/writer.py)
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


def _compact(text: str) -> str:
    return _WS.sub("", text)

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
    """A disability grade 1–4: 一级, 壹级, Ⅳ, ⅱ, IV, 3, 3级, "3 级", ３, "第二级", 4.0 ...

    Spaces anywhere are ignored; anything else is CellError("grade").
    """
    text = _compact(cell_text(value)).upper()
    if not text:
        return None
    word = text.removesuffix("级").removesuffix("級").removeprefix("第")
    if word in _GRADE_WORDS:
        return _GRADE_WORDS[word]
    if word[:1] in "1234" and word[1:2] == "." and word[2:] and not word[2:].strip("0"):
        return int(word[0])  # "4.0": a number stored as text
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
    "issued_on": ("certificate_issued_on", parse_date),
    "township": ("township", lambda v: _compact(_short_text(v, 100, "township"))),
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
_EMPTY = object()  # a cell that gives its column no value
# Columns whose parser gives no value for an empty cell, and whose texts rarely repeat.
_DISTINCT_FIELDS = frozenset(("phone", "guardian_phone", "guardian_name", "certificate_number"))
_ID_DIGITS = re.compile(r"[0-9]{17}[0-9Xx]")


def _plain_id(raw: Any, today: date) -> IdNumber:
    """`parse` for the common case (18 ASCII characters); anything else goes to `parse`."""
    if raw.__class__ is str and len(raw) == 18 and raw.isascii() and (
            raw.isdigit() or _ID_DIGITS.fullmatch(raw)):
        text = raw if raw[17] != "x" else raw.upper()
        if text[:2] in PROVINCE_CODES:
            try:
                born = date.fromisoformat(text[6:14])  # YYYYMMDD, ASCII digits only here
            except ValueError:
                born = None
            # The check weights are 2**17 ... 2**1 modulo 11, and 13 = 2 modulo 11: the
            # weighted sum is twice the 17 digits read in base 13, modulo 11.
            if (born is not None and born <= today and born.year >= 1880
                    and "10X98765432"[2 * int(text[:17], 13) % 11] == text[17]):
                gender = "male" if text[16] in "13579" else "female"
                return IdNumber(text, born, gender, text[:6], None)
    return parse(raw if raw != "" else None, today)


def _outcome(parser: Parser) -> Callable[[Any], Any]:
    """`parser` returning _EMPTY for no value and a _Failed for a CellError."""
    def outcome(value: Any) -> Any:
        try:
            result = parser(value)
        except CellError as exc:
            return _Failed(str(exc))
        return _EMPTY if result is None or result == "" else result
    return outcome


def _row_checker(found: dict[str, int], today: date, mobility_header: str
                 ) -> Callable[[list], tuple[dict | None, tuple[str, str, dict] | None]]:
    """Validate one data row: (values, None), or (values, (column, code, params)) with only
    "id" in values when the ID number is valid but another cell is not, or (None, problem)
    when the ID number itself is missing or invalid.

    Built once per file: cells are read by position, and what each distinct text of a
    column parsed to is remembered (a list repeats the same few values down a column).
    """
    name_at = found["name"]
    id_at = found["id_number"]
    gender_at = found.get("gender")
    parsers = dict(_FIELD_PARSERS)
    if "mobility" in found:  # checked before the other columns
        parsers = {"mobility": ("mobility", lambda v: parse_mobility(v, mobility_header)),
                   **parsers}
    # Columns of mostly distinct texts (phones, names) are parsed each time, not remembered.
    fields = [(key, found[key], target, parser if key in _DISTINCT_FIELDS else _outcome(parser),
               None if key in _DISTINCT_FIELDS else {})
              for key, (target, parser) in parsers.items() if key in found]
    genders: dict[str, Any] = {}
    gender_outcome = _outcome(parse_gender)
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
            return {"id": parsed}, ("name", "name_missing", {})
        if len(name) > 60 or name.isdigit():
            return {"id": parsed}, ("name", "name_invalid", {})
        values: dict[str, Any] = {"name": name, "id": parsed}
        if gender_at is not None:
            value = row[gender_at]
            if value.__class__ is str:
                gender = genders.get(value, _NOT_SEEN)
                if gender is _NOT_SEEN:
                    gender = genders[value] = gender_outcome(value)
            else:
                gender = gender_outcome(value)
            if gender is not _EMPTY and gender != parsed.gender:
                if gender.__class__ is _Failed:
                    return {"id": parsed}, ("gender", "gender", {})
                return {"id": parsed}, ("gender", "gender_mismatch", {})
        for key, at, target, convert, seen in fields:
            value = row[at]
            if seen is None:
                if value == "" or value is None:
                    continue
                try:
                    result = convert(value)
                except CellError as exc:
                    return {"id": parsed}, (key, str(exc), {})
                if result is None or result == "":
                    continue
            else:
                if value.__class__ is str:
                    result = seen.get(value, _NOT_SEEN)
                    if result is _NOT_SEEN:
                        result = seen[value] = convert(value)
                else:
                    result = convert(value)
                if result is _EMPTY:
                    continue
                if result.__class__ is _Failed:
                    return {"id": parsed}, (key, result.code, {})
            values[target] = result
        number = values.get("certificate_number")
        if number and len(number) in (20, 22) and number[18] in "1234567" and (
                number[19] in "1234"):
            values.setdefault("certificate_category", CATEGORY_CODES[int(number[18]) - 1])
            values.setdefault("certificate_grade", int(number[19]))
        return values, None

    return check
