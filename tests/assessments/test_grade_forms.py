"""Each category's form maps the entered values to the grade of GB/T 26341 (a few
boundaries per category; tests/domain covers every threshold)."""
import re

import pytest

GIVES = re.compile(r"The measurements give:\s*<strong>([^<]+)</strong>")


def _implied(response) -> str:
    page = response.get_data(as_text=True)
    match = GIVES.search(page)
    assert match, page[page.find("<main"):page.find("</main>")][:3000]
    return match.group(1).strip()


@pytest.mark.parametrize(("values", "expected"), [
    ({"vision_acuity": "0.019"}, "Grade 1"),
    ({"vision_acuity": "0.02"}, "Grade 2"),
    ({"vision_acuity": "0.29"}, "Grade 4"),
    ({"vision_acuity": "0.3"}, "not disabled"),
    ({"vision_acuity": "0.5", "vision_field": "9.9"}, "Grade 2"),
])
def test_vision(setup, sign, values, expected):
    s = setup()
    assert _implied(sign(s["case"], s["doctor"], "vision", values, button="preview")) == expected


@pytest.mark.parametrize(("db_hl", "expected"), [
    ("90.5", "Grade 1"), ("90", "Grade 2"), ("41", "Grade 4"), ("40", "not disabled"),
])
def test_hearing(setup, sign, db_hl, expected):
    s = setup()
    response = sign(s["case"], s["doctor"], "hearing", {"hearing_db": db_hl}, button="preview")
    assert _implied(response) == expected


@pytest.mark.parametrize(("values", "expected"), [
    ({"speech_intelligibility": "10"}, "Grade 1"),
    ({"speech_intelligibility": "11"}, "Grade 2"),
    ({"speech_intelligibility": "65"}, "Grade 4"),
    ({"speech_intelligibility": "66"}, "not disabled"),
    ({"speech_no_speech": "y"}, "Grade 1"),
])
def test_speech(setup, sign, values, expected):
    s = setup()
    assert _implied(sign(s["case"], s["doctor"], "speech", values, button="preview")) == expected


@pytest.mark.parametrize(("age", "values", "expected"), [
    (40, {"intellectual_iq": "19"}, "Grade 1"),
    (40, {"intellectual_iq": "20"}, "Grade 2"),
    (40, {"intellectual_iq": "69"}, "Grade 4"),
    (40, {"intellectual_iq": "70"}, "not disabled"),
    (40, {"intellectual_iq": "60", "intellectual_whodas": "116"}, "Grade 1"),
    (5, {"intellectual_dq": "25"}, "Grade 1"),
    (5, {"intellectual_dq": "26"}, "Grade 2"),
    (5, {"intellectual_dq": "76"}, "not disabled"),
    (10, {"intellectual_iq": "40", "intellectual_adaptive": "severe"}, "Grade 2"),
])
def test_intellectual_by_age(setup, sign, age, values, expected):
    s = setup(age=age)
    response = sign(s["case"], s["doctor"], "intellectual", values, button="preview")
    assert _implied(response) == expected


def test_intellectual_refuses_a_measure_not_used_at_that_age(setup, sign):
    s = setup(age=40)
    response = sign(s["case"], s["doctor"], "intellectual", {"intellectual_dq": "30"},
                    button="preview")
    page = response.get_data(as_text=True)
    assert "does not use this measure at the person" in page
    assert "The measurements give" not in page


@pytest.mark.parametrize(("age", "values", "expected"), [
    (40, {"mental_whodas": "52", "mental_duration_months": "24"}, "Grade 4"),
    (40, {"mental_whodas": "51", "mental_duration_months": "24"}, "not disabled"),
    (40, {"mental_whodas": "106", "mental_duration_months": "24"}, "Grade 2"),
    (40, {"mental_whodas": "120", "mental_duration_months": "12"}, "not disabled"),
    (15, {"mental_adaptive": "moderate", "mental_duration_months": "13"}, "Grade 3"),
])
def test_mental(setup, sign, age, values, expected):
    s = setup(age=age)
    assert _implied(sign(s["case"], s["doctor"], "mental", values, button="preview")) == expected


def test_mental_adult_needs_whodas(setup, sign):
    s = setup(age=40)
    response = sign(s["case"], s["doctor"], "mental", {"mental_duration_months": "24"},
                    button="preview")
    assert "the standard needs it for this category and age" in response.get_data(as_text=True)


@pytest.mark.parametrize(("clause", "expected"), [
    ("quadriplegia", "Grade 1"), ("both_thighs_missing", "Grade 2"),
    ("one_forearm_or_above_missing", "Grade 3"), ("one_lower_leg_missing", "Grade 4"),
    ("", "not disabled"),
])
def test_limb_clause(setup, sign, clause, expected):
    s = setup()
    response = sign(s["case"], s["doctor"], "physical",
                    {"limb_clause": clause, "limb_without_aids": "y"}, button="preview")
    assert _implied(response) == expected


def test_limb_with_aids_is_refused(setup, sign):
    s = setup()
    response = sign(s["case"], s["doctor"], "physical", {"limb_clause": "quadriplegia"},
                    button="preview")
    assert "assessed without prostheses" in response.get_data(as_text=True)


def test_multiple_takes_the_most_severe(setup, sign):
    s = setup()
    values = {"involved": ["hearing", "vision"], "hearing_db": "95", "vision_acuity": "0.2"}
    response = sign(s["case"], s["doctor"], "multiple", values, button="preview")
    assert _implied(response) == "Grade 1"


def test_multiple_needs_two_categories(setup, sign):
    s = setup()
    response = sign(s["case"], s["doctor"], "multiple",
                    {"involved": ["hearing"], "hearing_db": "95"}, button="preview")
    assert "at least two categories" in response.get_data(as_text=True)
