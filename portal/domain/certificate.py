"""Disability certificate (残疾人证) numbers and periods.

A second-generation certificate number has 20 characters: the holder's 18-character identity
number, one category digit and one grade digit (1 = most severe). Some systems append `B1`..`B9`
for a reissued card (22 characters); that suffix was seen in one public validator and is NOT
confirmed as a national rule, so it is accepted when parsing but never produced unless asked.

Periods follow the Civil Code (art. 201-202): the starting day is not counted, a period in years
ends on the corresponding day of the final year, or on the last day of the month when that day
does not exist (a card issued on 29 Feb expires on 28 Feb).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from portal.domain import idcard

CATEGORY_DIGITS: dict[str, str] = {
    "vision": "1",  # 视力
    "hearing": "2",  # 听力
    "speech": "3",  # 言语
    "physical": "4",  # 肢体
    "intellectual": "5",  # 智力
    "mental": "6",  # 精神
    "multiple": "7",  # 多重
}
CATEGORY_BY_DIGIT: dict[str, str] = {digit: name for name, digit in CATEGORY_DIGITS.items()}
GRADES = (1, 2, 3, 4)

VALIDITY_YEARS = 10
REAPPLY_WAIT_YEARS = 1

_NUMBER = re.compile(
    r"(?P<id>\d{17}[\dX])(?P<category>\d)(?P<grade>\d)(?:B(?P<reissue>\d))?", re.ASCII
)


class CertificateNumberError(ValueError):
    """A certificate number that cannot be accepted; `code` says why.

    Codes: empty, format, length, category, grade, reissue, id_number (then `detail` holds the
    identity number's own error code, see `idcard.IdNumberError`).
    """

    def __init__(self, code: str, detail: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class CertificateNumber:
    id_number: str
    category: str
    grade: int
    reissue: int | None = None  # n of a `Bn` suffix; unconfirmed convention

    @property
    def number(self) -> str:
        """The canonical number: 20 characters, 22 with a reissue suffix."""
        base = self.id_number + CATEGORY_DIGITS[self.category] + str(self.grade)
        return base if self.reissue is None else f"{base}B{self.reissue}"


def _check_category_grade(category: str, grade: int) -> None:
    if category not in CATEGORY_DIGITS:
        raise CertificateNumberError("category", str(category))
    if isinstance(grade, bool) or grade not in GRADES:
        raise CertificateNumberError("grade", str(grade))


def _parse_id(raw: object, today: date | None) -> str:
    try:
        return idcard.parse(raw, today).number
    except idcard.IdNumberError as exc:
        raise CertificateNumberError("id_number", exc.code) from exc


def make_number(
    id_number: str,
    category: str,
    grade: int,
    reissue: int | None = None,
    today: date | None = None,
) -> str:
    """Build the certificate number from a valid identity number, category and grade.

    A 15-digit identity number is upgraded to 18 digits first. `reissue` (1-9) appends the
    unconfirmed `Bn` suffix; leave it out unless the issuing system is known to use it.
    """
    _check_category_grade(category, grade)
    if reissue is not None and (isinstance(reissue, bool) or reissue not in range(1, 10)):
        raise CertificateNumberError("reissue", str(reissue))
    return CertificateNumber(_parse_id(id_number, today), category, grade, reissue).number


def parse_number(raw: object, today: date | None = None) -> CertificateNumber:
    """Split a certificate number into identity number, category, grade and reissue suffix.

    Spaces, dashes and full-width digits are tolerated and `x`/`b` are upper-cased; the embedded
    identity number must pass its own validation (check character, birth date).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise CertificateNumberError("empty")
    try:
        text = idcard.normalize(raw)
    except idcard.IdNumberError as exc:
        raise CertificateNumberError("format", exc.code) from exc
    if len(text) not in (20, 22):
        raise CertificateNumberError("length", str(len(text)))
    match = _NUMBER.fullmatch(text)
    if match is None:
        if len(text) == 22 and _NUMBER.fullmatch(text[:20]):
            raise CertificateNumberError("reissue", text[20:])
        raise CertificateNumberError("format")
    category = CATEGORY_BY_DIGIT.get(match["category"])
    if category is None:
        raise CertificateNumberError("category", match["category"])
    grade = int(match["grade"])
    _check_category_grade(category, grade)
    reissue = None if match["reissue"] is None else int(match["reissue"])
    if reissue == 0:
        raise CertificateNumberError("reissue", "B0")
    return CertificateNumber(_parse_id(match["id"], today), category, grade, reissue)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a common year: the month's last day
        return day.replace(year=day.year + years, day=28)


def expiry_date(issue_date: date) -> date:
    """The last day a certificate issued on `issue_date` is valid (10 years)."""
    return _add_years(issue_date, VALIDITY_YEARS)


def is_expired(issue_date: date, today: date) -> bool:
    """True once the 10-year validity has run out (the expiry day itself is still valid)."""
    return today > expiry_date(issue_date)


def reapply_allowed_from(cancelled_on: date) -> date:
    """First day a new application may be made after a cancellation (1 full year later)."""
    return _add_years(cancelled_on, REAPPLY_WAIT_YEARS) + timedelta(days=1)


def can_reapply_after_cancellation(cancelled_on: date, today: date) -> bool:
    """Whether the 1-year bar on new applications after a cancellation has passed.

    The year starts the day after the cancellation and ends on its anniversary (or 28 Feb for
    29 Feb), so the anniversary itself is still barred.
    """
    return today >= reapply_allowed_from(cancelled_on)
