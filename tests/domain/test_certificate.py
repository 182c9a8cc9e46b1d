"""Certificate numbers (ID + category digit + grade digit), validity and the reapplication bar."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import idcard
from portal.domain.certificate import (
    CATEGORY_DIGITS,
    CertificateNumber,
    CertificateNumberError,
    can_reapply_after_cancellation,
    expiry_date,
    is_expired,
    make_number,
    parse_number,
    reapply_allowed_from,
)

TODAY = date(2024, 6, 1)
ID = "11010519491231002X"  # published example, check character X
ID2 = "440524188001010014"
MANGSHI = idcard.make("533103", date(1990, 5, 7), 123)


@pytest.mark.parametrize(
    ("category", "digit"),
    [
        ("vision", "1"),
        ("hearing", "2"),
        ("speech", "3"),
        ("physical", "4"),
        ("intellectual", "5"),
        ("mental", "6"),
        ("multiple", "7"),
    ],
)
def test_category_digits(category, digit):
    assert make_number(ID2, category, 3, today=TODAY) == ID2 + digit + "3"


@pytest.mark.parametrize("grade", [1, 2, 3, 4])
def test_grade_digit_and_length(grade):
    number = make_number(ID, "hearing", grade, today=TODAY)
    assert number == f"{ID}2{grade}"
    assert len(number) == 20


def test_fifteen_digit_id_is_upgraded():
    old = "533103900507123"
    assert make_number(old, "physical", 4, today=TODAY) == idcard.upgrade_15(old) + "44"


def test_reissue_suffix_only_when_asked():
    assert make_number(ID, "vision", 1, reissue=2, today=TODAY) == ID + "11B2"
    assert len(make_number(ID, "vision", 1, reissue=9, today=TODAY)) == 22


def _make_error(*args, **kwargs) -> CertificateNumberError:
    with pytest.raises(CertificateNumberError) as info:
        make_number(*args, today=TODAY, **kwargs)
    return info.value


@pytest.mark.parametrize(
    ("args", "kwargs", "code"),
    [
        ((ID, "limb", 1), {}, "category"),  # the code is "physical"
        ((ID, "multiple", 0), {}, "grade"),
        ((ID, "multiple", 5), {}, "grade"),
        ((ID, "multiple", True), {}, "grade"),
        ((ID, "multiple", "1"), {}, "grade"),
        ((ID, "vision", 1), {"reissue": 0}, "reissue"),
        ((ID, "vision", 1), {"reissue": 10}, "reissue"),
        ((ID[:-1] + "1", "vision", 1), {}, "id_number"),
    ],
)
def test_make_number_refuses(args, kwargs, code):
    assert _make_error(*args, **kwargs).code == code


def test_make_number_reports_the_id_error():
    assert _make_error(ID[:-1] + "1", "vision", 1).detail == "check_digit"


def test_parse_number():
    parsed = parse_number(ID + "53", today=TODAY)
    assert parsed == CertificateNumber(ID, "intellectual", 3, None)
    assert parsed.number == ID + "53"


def test_parse_reissue_suffix():
    parsed = parse_number(MANGSHI + "72B3", today=TODAY)
    assert (parsed.id_number, parsed.category, parsed.grade, parsed.reissue) == (
        MANGSHI,
        "multiple",
        2,
        3,
    )
    assert parsed.number == MANGSHI + "72B3"


@pytest.mark.parametrize(
    "raw",
    [
        f" {ID[:6]} {ID[6:14]} {ID[14:]}-41 ",
        (ID + "41").lower(),
        "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in ID + "41"),
    ],
)
def test_parse_tolerates_spaces_case_and_full_width(raw):
    assert parse_number(raw, today=TODAY).number == ID + "41"


def _parse_code(raw) -> str:
    with pytest.raises(CertificateNumberError) as info:
        parse_number(raw, today=TODAY)
    return info.value.code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (None, "empty"),
        ("", "empty"),
        ("   ", "empty"),
        (ID, "length"),  # an ID number alone
        (ID + "4", "length"),
        (ID + "41B", "length"),
        (ID + "41B12", "length"),
        (ID + "01", "category"),
        (ID + "81", "category"),
        (ID + "91", "category"),
        (ID + "40", "grade"),
        (ID + "45", "grade"),
        (ID + "49", "grade"),
        (ID + "41B0", "reissue"),
        (ID + "41C1", "reissue"),
        (ID + "41BB", "reissue"),
        ("X" + ID[1:] + "41", "format"),
        (ID[:10] + "A" + ID[11:] + "41", "format"),
        (ID2[:-1] + "X41", "id_number"),  # wrong check character
        ("11010520491231002X41", "id_number"),  # born in the future
        (11010519491231002141, "format"),  # a number, as a spreadsheet would hold it
    ],
)
def test_parse_refuses(raw, code):
    assert _parse_code(raw) == code


def test_parse_reports_the_id_error():
    with pytest.raises(CertificateNumberError) as info:
        parse_number(ID2[:-1] + "5" + "41", today=TODAY)
    assert info.value.detail == "check_digit"


ids = st.builds(
    idcard.make,
    st.sampled_from(["533103", "110105", "440524", "530102"]),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.integers(min_value=0, max_value=999),
)


@given(
    ids,
    st.sampled_from(sorted(CATEGORY_DIGITS)),
    st.integers(min_value=1, max_value=4),
    st.none() | st.integers(min_value=1, max_value=9),
)
def test_round_trip(id_number, category, grade, reissue):
    number = make_number(id_number, category, grade, reissue=reissue, today=TODAY)
    assert len(number) == (20 if reissue is None else 22)
    parsed = parse_number(number, today=TODAY)
    assert parsed == CertificateNumber(id_number, category, grade, reissue)
    assert parsed.number == number


@pytest.mark.parametrize(
    ("issued", "expires"),
    [
        ("2020-05-07", "2030-05-07"),
        ("2020-02-29", "2030-02-28"),  # no 29 Feb in 2030
        ("2016-02-29", "2026-02-28"),
        ("2018-02-28", "2028-02-28"),
        ("2010-12-31", "2020-12-31"),
    ],
)
def test_expiry_date_is_ten_years(issued, expires):
    assert expiry_date(date.fromisoformat(issued)) == date.fromisoformat(expires)


def test_expiry_day_itself_is_still_valid():
    issued = date(2010, 12, 31)
    assert not is_expired(issued, date(2020, 12, 31))
    assert is_expired(issued, date(2021, 1, 1))
    assert not is_expired(date(2020, 2, 29), date(2030, 2, 28))
    assert is_expired(date(2020, 2, 29), date(2030, 3, 1))


@pytest.mark.parametrize(
    ("cancelled", "today", "allowed"),
    [
        ("2020-06-15", "2020-06-15", False),
        ("2020-06-15", "2021-06-14", False),
        ("2020-06-15", "2021-06-15", False),  # the year ends on the anniversary
        ("2020-06-15", "2021-06-16", True),
        ("2020-06-15", "2023-01-01", True),
        ("2020-02-29", "2021-02-28", False),
        ("2020-02-29", "2021-03-01", True),
        ("2019-03-01", "2020-02-29", False),
        ("2019-03-01", "2020-03-02", True),
    ],
)
def test_reapply_one_year_after_cancellation(cancelled, today, allowed):
    got = can_reapply_after_cancellation(date.fromisoformat(cancelled), date.fromisoformat(today))
    assert got is allowed


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
def test_reapply_date_is_just_over_a_year(cancelled):
    first = reapply_allowed_from(cancelled)
    assert 366 <= (first - cancelled).days <= 367
    assert can_reapply_after_cancellation(cancelled, first)
    assert not can_reapply_after_cancellation(cancelled, first - timedelta(days=1))


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2080, 12, 31)))
def test_validity_is_ten_calendar_years(issued):
    expires = expiry_date(issued)
    assert expires.year == issued.year + 10
    assert (expires.month, expires.day) == (issued.month, issued.day) or (
        (issued.month, issued.day) == (2, 29) and (expires.month, expires.day) == (2, 28)
    )
