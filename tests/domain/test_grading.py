"""Grades implied by GB/T 26341-2010 measurements: every boundary on both sides, and properties."""

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.domain import grading
from portal.domain.grading import (
    GradeResult,
    HearingMeasurements,
    IntellectualMeasurements,
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


# --- vision -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("acuity", "grade"),
    [
        (0, 1),  # no light perception
        (0.01, 1),
        ("0.019", 1),
        (0.02, 2),
        ("0.049", 2),
        (0.05, 3),
        ("0.099", 3),
        (0.1, 4),
        ("0.1", 4),
        ("0.299", 4),
        (0.3, None),
        (1.0, None),
        (1.5, None),
    ],
)
def test_vision_acuity_boundaries(acuity, grade):
    value = Decimal(acuity) if isinstance(acuity, str) else acuity
    result = implied_grade("vision", VisionMeasurements(better_eye_acuity=value))
    assert result.grade == grade
    assert result.reason == ("acuity" if grade else "not_disabled")


@pytest.mark.parametrize(
    ("radius", "grade"),
    [(0, 1), (4.9, 1), (5, 2), (9.9, 2), (10, None), (60, None)],
)
def test_vision_field_boundaries(radius, grade):
    result = implied_grade("vision", VisionMeasurements(field_radius_degrees=radius))
    assert result.grade == grade


@pytest.mark.parametrize(
    ("acuity", "radius", "expected"),
    [
        (0.5, 4, GradeResult(1, "field")),  # one eye fine but the field is tiny
        (0.5, 8, GradeResult(2, "field")),
        (0.2, 8, GradeResult(2, "field")),
        (0.01, 8, GradeResult(1, "acuity")),
        (0.03, 8, GradeResult(2, "acuity")),  # tie: acuity is named
        (0.2, 10, GradeResult(4, "acuity")),
        (0.3, 10, GradeResult(None, "not_disabled")),
    ],
)
def test_vision_more_severe_of_acuity_and_field(acuity, radius, expected):
    m = VisionMeasurements(better_eye_acuity=acuity, field_radius_degrees=radius)
    assert implied_grade("vision", m) == expected


@pytest.mark.parametrize(
    ("m", "code"),
    [
        (VisionMeasurements(), "missing"),
        (VisionMeasurements(better_eye_acuity=-0.1), "invalid"),
        (VisionMeasurements(better_eye_acuity=float("nan")), "invalid"),
        (VisionMeasurements(better_eye_acuity="0.1"), "invalid"),
        (VisionMeasurements(field_radius_degrees=-1), "invalid"),
    ],
)
def test_vision_refuses(m, code):
    assert _error("vision", m).code == code


acuities = st.decimals(min_value=0, max_value=2, places=3)
radii = st.decimals(min_value=0, max_value=90, places=1)


@given(acuities, acuities, st.none() | radii)
def test_worse_acuity_never_gives_a_milder_grade(a, b, radius):
    worse, better = sorted((a, b))
    g_worse = implied_grade("vision", VisionMeasurements(worse, radius)).grade
    g_better = implied_grade("vision", VisionMeasurements(better, radius)).grade
    assert _severity(g_worse) <= _severity(g_better)


@given(st.none() | acuities, radii, radii)
def test_narrower_field_never_gives_a_milder_grade(acuity, a, b):
    narrow, wide = sorted((a, b))
    g_narrow = implied_grade("vision", VisionMeasurements(acuity, narrow)).grade
    g_wide = implied_grade("vision", VisionMeasurements(acuity, wide)).grade
    assert _severity(g_narrow) <= _severity(g_wide)


# --- hearing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("db", "grade"),
    [
        (120, 1),
        (91, 1),
        (90.1, 1),
        (90, 2),
        (81, 2),
        (80.5, 2),
        (80, 3),
        (61, 3),
        (60, 4),
        (41, 4),
        (40.5, 4),
        (40, None),
        (25, None),
        (-10, None),
    ],
)
def test_hearing_boundaries(db, grade):
    result = implied_grade("hearing", HearingMeasurements(better_ear_db_hl=db, age_years=30))
    assert result == GradeResult(grade, "hearing_loss" if grade else "not_disabled")


@pytest.mark.parametrize(
    ("db", "age", "expected"),
    [
        (50, 2, GradeResult(None, "grade_4_under_3")),
        (41, 0, GradeResult(None, "grade_4_under_3")),
        (50, 3, GradeResult(4, "hearing_loss")),
        (61, 2, GradeResult(3, "hearing_loss")),
        (95, 1, GradeResult(1, "hearing_loss")),
        (30, 2, GradeResult(None, "not_disabled")),
    ],
)
def test_hearing_under_three_only_grades_one_to_three(db, age, expected):
    m = HearingMeasurements(better_ear_db_hl=db, age_years=age)
    assert implied_grade("hearing", m) == expected


@pytest.mark.parametrize(
    "m",
    [
        HearingMeasurements(better_ear_db_hl=None, age_years=30),
        HearingMeasurements(better_ear_db_hl=70, age_years=-1),
        HearingMeasurements(better_ear_db_hl=70, age_years=2.5),
        HearingMeasurements(better_ear_db_hl=70, age_years=None),
    ],
)
def test_hearing_refuses(m):
    assert _error("hearing", m).code == "invalid"


@given(
    st.decimals(min_value=-10, max_value=130, places=1),
    st.decimals(min_value=-10, max_value=130, places=1),
    st.integers(min_value=0, max_value=100),
)
def test_more_hearing_loss_never_gives_a_milder_grade(a, b, age):
    less, more = sorted((a, b))
    g_less = implied_grade("hearing", HearingMeasurements(less, age)).grade
    g_more = implied_grade("hearing", HearingMeasurements(more, age)).grade
    assert _severity(g_more) <= _severity(g_less)


# --- speech -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "grade"),
    [
        (0, 1),
        (10, 1),
        (11, 2),
        (25, 2),
        (26, 3),
        (45, 3),
        (46, 4),
        (65, 4),
        (65.5, None),
        (66, None),
        (100, None),
    ],
)
def test_speech_boundaries(percent, grade):
    m = SpeechMeasurements(age_years=10, intelligibility_percent=percent)
    assert implied_grade("speech", m) == GradeResult(
        grade, "intelligibility" if grade else "not_disabled"
    )


def test_speech_band_thresholds_are_one_constant():
    assert [b for b, _ in grading.SPEECH_INTELLIGIBILITY_BANDS] == [10, 25, 45, 65]
    assert [g for _, g in grading.SPEECH_INTELLIGIBILITY_BANDS] == [1, 2, 3, 4]


def test_no_speech_is_grade_one():
    m = SpeechMeasurements(age_years=5, no_speech=True)
    assert implied_grade("speech", m) == GradeResult(1, "no_speech")


@pytest.mark.parametrize("age", [0, 1, 2])
def test_speech_not_graded_under_three(age):
    m = SpeechMeasurements(age_years=age, intelligibility_percent=0, no_speech=True)
    assert implied_grade("speech", m) == GradeResult(None, "too_young")


@pytest.mark.parametrize(
    ("treated", "lasted", "grade"),
    [
        (None, None, 3),  # not recorded: not checked
        (12, None, None),
        (13, None, 3),
        (None, 24, None),
        (None, 25, 3),
        (6, 30, 3),
        (13, 6, 3),
        (12, 24, None),
    ],
)
def test_speech_condition_must_be_lasting(treated, lasted, grade):
    m = SpeechMeasurements(
        age_years=40, intelligibility_percent=30, treated_months=treated, duration_months=lasted
    )
    result = implied_grade("speech", m)
    assert result.grade == grade
    if grade is None:
        assert result.reason == "duration"


@pytest.mark.parametrize(
    "m",
    [
        SpeechMeasurements(age_years=10),
        SpeechMeasurements(age_years=10, intelligibility_percent=101),
        SpeechMeasurements(age_years=10, intelligibility_percent=-1),
        SpeechMeasurements(age_years=10, intelligibility_percent=30, treated_months=-1),
    ],
)
def test_speech_refuses(m):
    assert _error("speech", m).code in {"missing", "invalid"}


@given(st.decimals(min_value=0, max_value=100, places=1), st.decimals(0, 100, places=1))
def test_lower_intelligibility_never_gives_a_milder_grade(a, b):
    low, high = sorted((a, b))
    g_low = implied_grade("speech", SpeechMeasurements(20, low)).grade
    g_high = implied_grade("speech", SpeechMeasurements(20, high)).grade
    assert _severity(g_low) <= _severity(g_high)


# --- intellectual -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dq", "grade"),
    [
        (0, 1),
        (25, 1),
        (26, 2),
        (39, 2),
        (39.5, 3),
        (40, 3),
        (54, 3),
        (55, 4),
        (71, 4),
        (72, 4),
        (75, 4),
        (76, None),
        (100, None),
    ],
)
def test_intellectual_dq_boundaries(dq, grade):
    for age in (0, 6):
        result = implied_grade("intellectual", IntellectualMeasurements(age_years=age, dq=dq))
        assert result == GradeResult(grade, "dq" if grade else "not_disabled")


@pytest.mark.parametrize(
    ("dq", "adaptive", "expected"),
    [
        (72, "none", GradeResult(None, "not_disabled")),
        (75, "none", GradeResult(None, "not_disabled")),
        (73, "mild", GradeResult(4, "dq_borderline_adaptive")),
        (74, "moderate", GradeResult(3, "dq_borderline_adaptive")),
        (71, "none", GradeResult(4, "dq")),  # below 72: DQ alone
        (50, "mild", GradeResult(3, "dq")),
        (76, "mild", GradeResult(None, "not_disabled")),
        (72, None, GradeResult(4, "dq")),  # borderline without adaptive behaviour
    ],
)
def test_intellectual_dq_72_to_75_graded_by_adaptive_behaviour(dq, adaptive, expected):
    m = IntellectualMeasurements(age_years=4, dq=dq, adaptive=adaptive)
    assert implied_grade("intellectual", m) == expected


@pytest.mark.parametrize(
    ("iq", "grade"),
    [
        (0, 1),
        (19, 1),
        (19.5, 1),
        (20, 2),
        (34, 2),
        (35, 3),
        (49, 3),
        (50, 4),
        (69, 4),
        (69.5, 4),
        (70, None),
        (100, None),
    ],
)
def test_intellectual_iq_boundaries(iq, grade):
    for age in (7, 17, 40):
        result = implied_grade("intellectual", IntellectualMeasurements(age_years=age, iq=iq))
        assert result == GradeResult(grade, "iq" if grade else "not_disabled")


@pytest.mark.parametrize(
    ("level", "grade"),
    [("profound", 1), ("severe", 2), ("moderate", 3), ("mild", 4), ("none", None)],
)
def test_adaptive_behaviour_levels(level, grade):
    m = IntellectualMeasurements(age_years=12, adaptive=level)
    assert implied_grade("intellectual", m) == GradeResult(
        grade, "adaptive" if grade else "not_disabled"
    )
    assert grading.ADAPTIVE_LEVELS[level] == grade


@pytest.mark.parametrize(
    ("iq", "adaptive", "expected"),
    [
        (40, "moderate", GradeResult(3, "iq_and_adaptive")),
        (40, "severe", GradeResult(2, "adaptive_over_iq")),
        (40, "mild", GradeResult(4, "adaptive_over_iq")),
        (15, "moderate", GradeResult(3, "adaptive_over_iq")),
        (60, "none", GradeResult(None, "not_disabled")),
        (80, "mild", GradeResult(4, "adaptive_over_iq")),
        (80, "none", GradeResult(None, "not_disabled")),
    ],
)
def test_adaptive_behaviour_decides_when_iq_disagrees(iq, adaptive, expected):
    m = IntellectualMeasurements(age_years=9, iq=iq, adaptive=adaptive)
    assert implied_grade("intellectual", m) == expected


@pytest.mark.parametrize(
    ("score", "grade"),
    [
        (180, 1),
        (116, 1),
        (115, 2),
        (106, 2),
        (105, 3),
        (96, 3),
        (95, 4),
        (52, 4),
        (51, None),
        (36, None),
    ],
)
def test_whodas_boundaries(score, grade):
    m = IntellectualMeasurements(age_years=18, whodas=score)
    assert implied_grade("intellectual", m) == GradeResult(
        grade, "whodas" if grade else "not_disabled"
    )
    m = MentalMeasurements(age_years=30, duration_months=24, whodas=score)
    assert implied_grade("mental", m) == GradeResult(grade, "whodas" if grade else "not_disabled")


@pytest.mark.parametrize(
    ("iq", "adaptive", "whodas", "expected"),
    [
        (40, "moderate", 110, GradeResult(2, "whodas")),  # WHO-DAS more severe
        (40, "moderate", 60, GradeResult(3, "iq_and_adaptive")),
        (40, "moderate", 100, GradeResult(3, "iq_and_adaptive")),  # tie: IQ/adaptive named
        (80, "none", 60, GradeResult(4, "whodas")),
        (40, None, 30, GradeResult(3, "iq")),
        (None, "severe", 100, GradeResult(2, "adaptive")),
        (80, None, 40, GradeResult(None, "not_disabled")),
    ],
)
def test_adults_take_the_more_severe_of_iq_adaptive_and_whodas(iq, adaptive, whodas, expected):
    m = IntellectualMeasurements(age_years=25, iq=iq, adaptive=adaptive, whodas=whodas)
    assert implied_grade("intellectual", m) == expected


@pytest.mark.parametrize(
    ("m", "code", "field"),
    [
        (IntellectualMeasurements(age_years=5), "missing", "dq"),
        (IntellectualMeasurements(age_years=5, dq=50, iq=50), "not_applicable", "iq"),
        (IntellectualMeasurements(age_years=5, dq=50, whodas=60), "not_applicable", "whodas"),
        (IntellectualMeasurements(age_years=7, dq=50), "not_applicable", "dq"),
        (IntellectualMeasurements(age_years=17, iq=50, whodas=60), "not_applicable", "whodas"),
        (IntellectualMeasurements(age_years=30), "missing", "iq"),
        (IntellectualMeasurements(age_years=30, adaptive="very bad"), "unknown_level", "adaptive"),
        (IntellectualMeasurements(age_years=30, iq=-5), "invalid", "iq"),
    ],
)
def test_intellectual_refuses(m, code, field):
    error = _error("intellectual", m)
    assert (error.code, error.field) == (code, field)


@given(st.integers(0, 140), st.integers(0, 140), st.integers(7, 90))
def test_lower_iq_never_gives_a_milder_grade(a, b, age):
    low, high = sorted((a, b))
    g_low = implied_grade("intellectual", IntellectualMeasurements(age, iq=low)).grade
    g_high = implied_grade("intellectual", IntellectualMeasurements(age, iq=high)).grade
    assert _severity(g_low) <= _severity(g_high)


@given(st.integers(0, 140), st.integers(0, 140), st.integers(0, 6))
def test_lower_dq_never_gives_a_milder_grade(a, b, age):
    low, high = sorted((a, b))
    g_low = implied_grade("intellectual", IntellectualMeasurements(age, dq=low)).grade
    g_high = implied_grade("intellectual", IntellectualMeasurements(age, dq=high)).grade
    assert _severity(g_low) <= _severity(g_high)


@given(st.integers(0, 180), st.integers(0, 180), st.integers(18, 90))
def test_higher_whodas_never_gives_a_milder_grade(a, b, age):
    low, high = sorted((a, b))
    g_low = implied_grade("mental", MentalMeasurements(age, 24, whodas=low)).grade
    g_high = implied_grade("mental", MentalMeasurements(age, 24, whodas=high)).grade
    assert _severity(g_high) <= _severity(g_low)


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
