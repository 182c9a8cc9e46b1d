"""Identity numbers (GB 11643-1999): parsing, check character, 15→18 upgrade, normalisation."""
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import idcard
from portal.domain.idcard import (
    IdNumberError,
    check_char,
    make,
    mask,
    parse,
    upgrade_15,
)

TODAY = date(2024, 6, 1)

areas = st.sampled_from(["533103", "110105", "440524", "530102", "650102", "810000"])
births = st.dates(min_value=date(1880, 1, 1), max_value=TODAY)
sequences = st.integers(min_value=0, max_value=999)


def _code(raw) -> str:
    with pytest.raises(IdNumberError) as info:
        parse(raw, today=TODAY)
    return info.value.code


@pytest.mark.parametrize(
    ("number", "born", "gender"),
    [("11010519491231002X", date(1949, 12, 31), "female"),
     ("440524188001010014", date(1880, 1, 1), "male")],
)
def test_published_examples(number, born, gender):
    parsed = parse(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.gender == gender
    assert parsed.upgraded_from is None


@given(areas, births, sequences)
def test_generated_numbers_round_trip(area, born, sequence):
    number = make(area, born, sequence)
    parsed = parse(number, today=TODAY)
    assert parsed.number == number
    assert parsed.birth_date == born
    assert parsed.gender == ("male" if sequence % 2 else "female")
    assert parsed.area_code == area
    assert parsed.age_on(TODAY) >= 0


@given(areas, births, sequences, st.integers(min_value=0, max_value=17), st.data())
def test_changing_any_single_character_breaks_the_number(area, born, sequence, position, data):
    number = make(area, born, sequence)
    alphabet = "0123456789X" if position == 17 else "0123456789"
    replacement = data.draw(st.sampled_from([c for c in alphabet if c != number[position]]))
    changed = number[:position] + replacement + number[position + 1:]
    with pytest.raises(IdNumberError) as info:
        parse(changed, today=TODAY)
    assert info.value.code in {"check_digit", "birth_date", "future_birth_date", "area"}


@given(areas, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_fifteen_digit_numbers_are_upgraded(area, born, sequence):
    old = f"{area}{born:%y%m%d}{sequence:03d}"
    parsed = parse(old, today=TODAY)
    assert parsed.upgraded_from == old
    assert parsed.number == make(area, born, sequence)
    assert parsed.number == upgrade_15(old)
    assert parsed.birth_date == born
    assert parsed.gender == ("male" if sequence % 2 else "female")


@given(areas, births, sequences, st.sampled_from(["fullwidth", "lower", "spaces"]))
def test_input_variants_are_normalised(area, born, sequence, variant):
    number = make(area, born, sequence)
    if variant == "fullwidth":
        raw = "".join(chr(ord(c) + 0xFEE0) for c in number)  # ０-９, Ｘ
    elif variant == "lower":
        raw = number.lower()
    else:
        raw = f" {number[:6]} {number[6:14]}\u3000{number[14:]} "
    assert parse(raw, today=TODAY).number == number


def test_lowercase_x_check_character():
    assert parse("11010519491231002x", today=TODAY).number == "11010519491231002X"


@given(areas, st.dates(min_value=TODAY + timedelta(days=1), max_value=date(2099, 12, 31)),
       sequences)
def test_future_birth_dates_are_refused(area, born, sequence):
    assert _code(make(area, born, sequence)) == "future_birth_date"


impossible_month_days = st.one_of(
    st.tuples(st.integers(1, 12), st.integers(32, 39)),
    st.tuples(st.integers(13, 19), st.integers(1, 28)),
    st.tuples(st.just(0), st.integers(1, 28)),
    st.tuples(st.integers(1, 12), st.just(0)),
    st.tuples(st.just(2), st.integers(30, 31)),
    st.tuples(st.sampled_from([4, 6, 9, 11]), st.just(31)),
)


@given(areas, st.integers(1900, 2020), impossible_month_days, sequences)
def test_impossible_dates_are_refused(area, year, month_day, sequence):
    month, day = month_day
    first17 = f"{area}{year:04d}{month:02d}{day:02d}{sequence:03d}"
    assert _code(first17 + check_char(first17)) == "birth_date"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "empty"),
        (None, "empty"),
        ("   ", "empty"),
        (533103199001010000, "numeric"),
        (5.33103e17, "numeric"),
        ("5.33103E+17", "numeric"),
        ("53310319900101001", "length"),
        ("5331031990010100123", "length"),
        ("53310319900101001A", "format"),
        ("abc", "format"),
        ("013103199001010014", "area"),
        ("993103199001010014", "area"),
        ("533103199002300011", "birth_date"),
        ("533103187001010016", "birth_date"),
        ("533103203001010012", "future_birth_date"),
        ("110105194912310021", "check_digit"),
    ],
)
def test_each_error_code(raw, code):
    assert _code(raw) == code


def test_every_error_code_is_listed():
    assert set(idcard.ERROR_CODES) == {
        "empty", "numeric", "format", "length", "area", "birth_date", "future_birth_date",
        "check_digit",
    }


def test_mask_hides_the_middle():
    assert mask("11010519491231002X") == "110*************2X"
    assert mask("") == ""
    assert idcard.mask_phone("13912345678") == "139****5678"
