"""GB/T 26341 grading: mental, limb and multiple disability, the entry point, the doctor's grade."""

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import grading
from portal.domain.grading import (
    GradeResult,
    HearingMeasurements,
    MeasurementError,
    MentalMeasurements,
    MultipleMeasurements,
    SpeechMeasurements,
    VisionMeasurements,
    check_doctor_grade,
    implied_grade,
    rehab_exception_applies,
)
from portal.domain.limb import LIMB_CLAUSES, LimbMeasurements


def _severity(grade: int | None) -> int:
    """Sort key: 1 is the most severe, 'not disabled' the mildest."""
    return 5 if grade is None else grade


def _error(category, measurements) -> MeasurementError:
    with pytest.raises(MeasurementError) as info:
        implied_grade(category, measurements)
    return info.value


# --- mental -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        (0, GradeResult(None, "duration")),
        (12, GradeResult(None, "duration")),  # exactly one year is not "more than"
        (13, GradeResult(2, "whodas")),
        (120, GradeResult(2, "whodas")),
    ],
)
def test_mental_condition_must_last_more_than_a_year(months, expected):
    m = MentalMeasurements(age_years=40, duration_months=months, whodas=110)
    assert implied_grade("mental", m) == expected


@pytest.mark.parametrize(
    ("level", "grade"),
    [("profound", 1), ("severe", 2), ("moderate", 3), ("mild", 4), ("none", None)],
)
def test_mental_under_18_by_adaptive_behaviour(level, grade):
    m = MentalMeasurements(age_years=17, duration_months=30, adaptive=level)
    assert implied_grade("mental", m).grade == grade


def test_mental_adult_takes_the_more_severe_of_whodas_and_adaptive():
    m = MentalMeasurements(age_years=30, duration_months=30, whodas=100, adaptive="severe")
    assert implied_grade("mental", m) == GradeResult(2, "adaptive")
    m = MentalMeasurements(age_years=30, duration_months=30, whodas=120, adaptive="severe")
    assert implied_grade("mental", m) == GradeResult(1, "whodas")


@pytest.mark.parametrize(
    ("m", "code", "field"),
    [
        (MentalMeasurements(age_years=18, duration_months=24), "missing", "whodas"),
        (
            MentalMeasurements(age_years=18, duration_months=24, adaptive="mild"),
            "missing",
            "whodas",
        ),
        (MentalMeasurements(age_years=17, duration_months=24), "missing", "adaptive"),
        (
            MentalMeasurements(age_years=17, duration_months=24, whodas=100, adaptive="mild"),
            "not_applicable",
            "whodas",
        ),
        (
            MentalMeasurements(age_years=30, duration_months=-1, whodas=100),
            "invalid",
            "duration_months",
        ),
    ],
)
def test_mental_refuses(m, code, field):
    error = _error("mental", m)
    assert (error.code, error.field) == (code, field)


# --- limb ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clause", "grade"),
    [
        ("quadriplegia", 1),
        ("complete_paraplegia", 1),
        ("complete_hemiplegia", 1),
        ("three_limbs_severe", 1),
        ("plegia_cannot_walk", 2),
        ("both_upper_arms_or_forearms_missing", 2),
        ("both_thighs_missing", 2),
        ("both_lower_legs_missing", 3),
        ("one_thigh_or_above_missing", 3),
        ("one_forearm_or_above_missing", 3),
        ("one_lower_leg_missing", 4),
        ("leg_length_difference_50mm", 4),
        ("spinal_ankylosis", 4),
        ("kyphosis_over_70", 4),
        ("scoliosis_over_45", 4),
        ("adult_height_1300mm", 4),
        ("other_1", 1),
        ("other_2", 2),
        ("other_3", 3),
        ("other_4", 4),
    ],
)
def test_limb_clause_gives_its_grade(clause, grade):
    assert implied_grade("physical", LimbMeasurements(clause)) == GradeResult(grade, "limb_clause")


def test_limb_catalogue_is_complete_and_bilingual():
    codes = [c.code for c in LIMB_CLAUSES]
    assert len(codes) == len(set(codes))
    assert {c.grade for c in LIMB_CLAUSES} == {1, 2, 3, 4}
    for clause in LIMB_CLAUSES:
        assert clause.zh and clause.en and clause.zh != clause.en


def test_limb_no_clause_and_refusals():
    assert implied_grade("physical", LimbMeasurements(None)) == GradeResult(None, "no_clause")
    assert _error("physical", LimbMeasurements("broken_finger")).code == "unknown_clause"
    # Assessed without prostheses or aids.
    assert _error("physical", LimbMeasurements("quadriplegia", without_aids=False)).code == (
        "with_aids"
    )


# --- multiple -----------------------------------------------------------------------------


def test_multiple_takes_the_most_severe():
    m = MultipleMeasurements(
        {
            "hearing": HearingMeasurements(better_ear_db_hl=85, age_years=40),  # 2
            "speech": SpeechMeasurements(age_years=40, intelligibility_percent=40),  # 3
            "physical": LimbMeasurements("one_lower_leg_missing"),  # 4
        }
    )
    assert implied_grade("multiple", m) == GradeResult(2, "most_severe")


def test_multiple_with_one_or_no_qualifying_category():
    one = MultipleMeasurements(
        {
            "vision": VisionMeasurements(better_eye_acuity=0.04),
            "hearing": HearingMeasurements(better_ear_db_hl=30, age_years=40),
        }
    )
    assert implied_grade("multiple", one) == GradeResult(2, "single_category")
    none = MultipleMeasurements(
        {
            "vision": VisionMeasurements(better_eye_acuity=0.8),
            "hearing": HearingMeasurements(better_ear_db_hl=30, age_years=40),
        }
    )
    assert implied_grade("multiple", none) == GradeResult(None, "not_disabled")


@pytest.mark.parametrize(
    "components",
    [
        {},
        {"multiple": MultipleMeasurements({"vision": VisionMeasurements(0.01)})},
        {"limb": LimbMeasurements("quadriplegia")},
        {"vision": HearingMeasurements(better_ear_db_hl=90, age_years=4)},
    ],
)
def test_multiple_refuses(components):
    assert _error("multiple", MultipleMeasurements(components)).code in {"missing", "category"}


grades_or_none = st.none() | st.integers(1, 4)


@given(st.lists(grades_or_none, min_size=1, max_size=6))
def test_most_severe_is_the_minimum(grades):
    graded = [g for g in grades if g is not None]
    assert grading.most_severe(grades) == (min(graded) if graded else None)


limb_for_grade = {1: "quadriplegia", 2: "both_thighs_missing", 3: "other_3", 4: "other_4"}


@given(grades_or_none, grades_or_none, grades_or_none)
def test_multiple_equals_the_minimum_of_its_components(limb, vision, mental):
    acuity = {1: 0.01, 2: 0.03, 3: 0.07, 4: 0.2, None: 1.0}[vision]
    whodas = {1: 120, 2: 110, 3: 100, 4: 70, None: 40}[mental]
    m = MultipleMeasurements(
        {
            "physical": LimbMeasurements(None if limb is None else limb_for_grade[limb]),
            "vision": VisionMeasurements(better_eye_acuity=acuity),
            "mental": MentalMeasurements(age_years=50, duration_months=36, whodas=whodas),
        }
    )
    assert implied_grade("multiple", m).grade == grading.most_severe([limb, vision, mental])


# --- entry point and doctor's grade -------------------------------------------------------


def test_categories_match_the_roster_and_certificate_codes():
    from portal.domain.certificate import CATEGORY_DIGITS
    from portal.rosters.models import CATEGORIES

    assert grading.CATEGORIES == CATEGORIES
    assert set(CATEGORY_DIGITS) == set(CATEGORIES)
    assert set(grading._GRADERS) == set(CATEGORIES)


@pytest.mark.parametrize("module", ["grading", "limb", "workdays", "certificate"])
def test_domain_modules_stay_pure(module):
    """No Flask, no database: only the standard library, chinesecalendar and portal.domain."""
    path = Path(grading.__file__).with_name(f"{module}.py")
    imported = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    roots = {name.split(".")[0] for name in imported}
    assert not roots & {"flask", "flask_sqlalchemy", "sqlalchemy", "flask_babel"}
    assert all(name.startswith("portal.domain") for name in imported if name.startswith("portal"))


def test_implied_grade_refuses_wrong_category_or_measurements():
    assert _error("limb", LimbMeasurements("quadriplegia")).code == "category"
    assert _error("vision", HearingMeasurements(90, 30)).code == "category"


@pytest.mark.parametrize(
    ("implied", "doctor", "match"),
    [
        (GradeResult(2, "acuity"), 2, True),
        (GradeResult(2, "acuity"), 3, False),
        (GradeResult(2, "acuity"), None, False),
        (GradeResult(None, "not_disabled"), None, True),
        (GradeResult(None, "not_disabled"), 4, False),
        (3, 3, True),
        (None, 1, False),
    ],
)
def test_check_doctor_grade(implied, doctor, match):
    assert check_doctor_grade(implied, doctor) is match


@pytest.mark.parametrize(("implied", "doctor"), [(2, 5), (2, 0), (7, 2), (2, True)])
def test_check_doctor_grade_refuses_impossible_grades(implied, doctor):
    with pytest.raises(MeasurementError):
        check_doctor_grade(implied, doctor)


# --- rehabilitation-period exception ------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "limb_loss", "stroke", "months", "applies"),
    [
        (30, True, False, 3, True),  # obviously missing limb, any age
        (30, True, False, 11, True),
        (30, True, False, 12, False),  # period reached: normal assessment, no exception
        (60, False, True, 6, True),
        (59, False, True, 6, False),
        (75, False, True, 11, True),
        (75, False, True, 12, False),
        (75, False, False, 6, False),
        (45, False, False, 0, False),
        (65, True, True, 1, True),
    ],
)
def test_rehab_exception(age, limb_loss, stroke, months, applies):
    assert rehab_exception_applies(age, limb_loss, stroke, months) is applies


def test_rehab_exception_refuses_negative_values():
    with pytest.raises(MeasurementError):
        rehab_exception_applies(60, False, True, -1)
    with pytest.raises(MeasurementError):
        rehab_exception_applies(-1, True, False, 1)
