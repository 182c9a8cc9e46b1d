"""Resident identity numbers (GB 11643-1999, ISO 7064 MOD 11-2 check character).

Every failure raises IdNumberError with a code; the portal turns codes into messages.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
MANGSHI_AREA_CODE = "533103"
# First two digits of the area code: provinces, Taiwan (71), Hong Kong (81), Macao (82) and
# residence permits of Taiwan residents (83), per GB/T 2260.
PROVINCE_CODES = frozenset(
    str(n) for n in (
        *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
        *range(61, 66), 71, 81, 82, 83,
    )
)
ERROR_CODES = (
    "empty", "numeric", "format", "length", "area", "birth_date", "future_birth_date",
    "check_digit",
)

# Full-width digits and letters that Chinese input methods produce.
_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９Ｘｘ",
    "0123456789XX",
)
_SPACES = re.compile(r"[\s\u3000\u00a0'’‘\"“”-]+")


class IdNumberError(ValueError):
    """An identity number that cannot be accepted; `code` says why."""

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    gender: str  # "male" | "female"
    area_code: str
    upgraded_from: str | None = None

    def age_on(self, day: date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


def check_char(first17: str) -> str:
    """The check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise IdNumberError("format", "17 digits expected")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS))
    return CHECK_CHARS[total % 11]


def normalize(raw: object) -> str:
    """Strip spaces, quotes and dashes; fold full-width characters; upper-case x.

    Numbers (as Excel stores them) are refused: they cannot carry 18 digits exactly.
    """
    if raw is None:
        raise IdNumberError("empty")
    if isinstance(raw, bool):
        raise IdNumberError("format")
    if isinstance(raw, float | int):
        # A spreadsheet cell holding a number keeps only 15 significant digits.
        raise IdNumberError("numeric")
    text = _SPACES.sub("", str(raw).translate(_FULLWIDTH)).upper()
    if not text:
        raise IdNumberError("empty")
    if re.fullmatch(r"\d(\.\d+)?E\+\d+", text):
        raise IdNumberError("numeric")
    return text


def _birth_date(text: str) -> date:
    try:
        return date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError as exc:
        raise IdNumberError("birth_date") from exc


def upgrade_15(old: str) -> str:
    """Convert a 15-digit number (1989 standard) to 18 digits."""
    if len(old) != 15 or not old.isdigit():
        raise IdNumberError("format")
    first17 = old[:6] + "19" + old[6:]
    return first17 + check_char(first17)


def parse(raw: object, today: date | None = None) -> IdNumber:
    """Validate an identity number and derive birth date and gender.

    A birth date after `today` is refused; the domain reads no clock, so without `today`
    (the portal always passes portal.clock's day) that one check is left out."""
    text = normalize(raw)
    upgraded_from = None
    if len(text) == 15:
        if not text.isdigit():
            raise IdNumberError("format")
        upgraded_from = text
        text = upgrade_15(text)
    if len(text) != 18:
        if text.isdigit() and len(text) in (16, 17):
            raise IdNumberError("length")
        raise IdNumberError("length" if text[:-1].isdigit() else "format")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise IdNumberError("format")
    if text[:2] not in PROVINCE_CODES:
        raise IdNumberError("area")
    born = _birth_date(text[6:14])
    if today is not None and born > today:
        raise IdNumberError("future_birth_date")
    if born.year < 1880:
        raise IdNumberError("birth_date")
    if check_char(text[:17]) != text[17]:
        raise IdNumberError("check_digit")
    gender = "male" if int(text[16]) % 2 == 1 else "female"
    return IdNumber(text, born, gender, text[:6], upgraded_from)


def is_valid(raw: object, today: date | None = None) -> bool:
    """True when `parse` accepts the number."""
    try:
        parse(raw, today)
    except IdNumberError:
        return False
    return True


def make(area_code: str, birth: date, sequence: int) -> str:
    """Build a valid 18-character number (demo data and tests)."""
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)


# What a masked ID number keeps in clear: the first MASK_HEAD and the last MASK_TAIL characters.
MASK_HEAD = 3
MASK_TAIL = 2


def mask(number: str | None) -> str:
    """Show the first 3 and last 2 characters: 533*************2X style."""
    if not number:
        return ""
    if len(number) <= 6:
        return "*" * len(number)
    return (number[:MASK_HEAD] + "*" * (len(number) - MASK_HEAD - MASK_TAIL)
            + number[-MASK_TAIL:])


def mask_phone(phone: str | None) -> str:
    """Show the first 3 and last 4 digits of a phone number."""
    if not phone:
        return ""
    digits = phone.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "****" + digits[-4:]
