"""Grades implied by GB/T 26341-2010 measurements: every boundary on both sides, and properties."""

from decimal import Decimal

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
    SpeechMeasurements,
    VisionMeasurements,
    implied_grade,
)


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
