"""The grade that GB/T 26341-2010 (残疾人残疾分类和分级) gives for measured values.

Grade 1 is the most severe, grade 4 the mildest; `None` means the values do not amount to a
certifiable disability. Every result carries a short machine-readable reason:

- grade given: ``acuity``, ``field`` (vision); ``hearing_loss``; ``intelligibility``,
  ``no_speech``; ``dq``, ``dq_borderline_adaptive``, ``iq``, ``adaptive``, ``iq_and_adaptive``,
  ``adaptive_over_iq``, ``whodas`` (intellectual, mental); ``limb_clause``; ``most_severe``,
  ``single_category`` (multiple);
- no grade: ``not_disabled``, ``too_young``, ``grade_4_under_3``, ``duration``, ``no_clause``.

Values that cannot be graded at all (missing, negative, a measure the standard does not use at
that age) raise `MeasurementError`: the form must refuse them, they are not "not disabled".

Numbers are compared as decimals, so ``Decimal("0.1")`` and ``0.1`` fall into the same band.
Where the standard gives integer bands (hearing 81-90 dB, DQ 26-39, ...) fractional values are
placed by extending the bound it states for grade 1 to every band: hearing "> 90" gives
(80, 90] for grade 2, so 80.5 dB is grade 2; DQ and speech "<= 25", "<= 10" give upper-inclusive
bands, so DQ 39.5 is grade 3; IQ "< 20" gives [20, 35), so IQ 34.5 is grade 2; WHO-DAS II
">= 116" gives [106, 116).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from portal.domain.limb import LimbMeasurements, grade_limb
from portal.domain.results import GradeResult, MeasurementError

Number = int | float | Decimal

CATEGORIES = ("vision", "hearing", "speech", "physical", "intellectual", "mental", "multiple")
GRADES = (1, 2, 3, 4)

NOT_DISABLED = "not_disabled"


def _dec(value: object, name: str, *, allow_negative: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise MeasurementError("invalid", name)
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite() or (number < 0 and not allow_negative):
        raise MeasurementError("invalid", name)
    return number


def _age(value: object, name: str = "age_years") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 150:
        raise MeasurementError("invalid", name)
    return value


def _months(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MeasurementError("invalid", name)
    return value


def _band_below(value: Decimal, bands: tuple[tuple[Decimal, int], ...]) -> int | None:
    """Grade of the first band whose (exclusive) upper bound lies above `value`."""
    for upper, grade in bands:
        if value < upper:
            return grade
    return None


def _band_at_most(value: Decimal, bands: tuple[tuple[Decimal, int], ...]) -> int | None:
    """Grade of the first band whose (inclusive) upper bound is not below `value`."""
    for upper, grade in bands:
        if value <= upper:
            return grade
    return None


def _band_at_least(value: Decimal, bands: tuple[tuple[Decimal, int], ...]) -> int | None:
    """Grade of the first band whose (inclusive) lower bound is not above `value`."""
    for lower, grade in bands:
        if value >= lower:
            return grade
    return None


def _more_severe(*results: GradeResult) -> GradeResult:
    """The result with the lowest grade; the first one wins a tie."""
    graded = [r for r in results if r.grade is not None]
    if not graded:
        return GradeResult(None, NOT_DISABLED)
    return min(graded, key=lambda r: r.grade)  # min() keeps the first of equal grades


# --- vision -------------------------------------------------------------------------------

# Best-corrected acuity of the better eye, decimal notation (0 = no light perception).
VISION_ACUITY_BANDS = (
    (Decimal("0.02"), 1),
    (Decimal("0.05"), 2),
    (Decimal("0.1"), 3),
    (Decimal("0.3"), 4),
)
# Visual-field radius in degrees (centred on fixation).
VISION_FIELD_BANDS = ((Decimal(5), 1), (Decimal(10), 2))


@dataclass(frozen=True)
class VisionMeasurements:
    """Best-corrected acuity of the better eye and/or the visual-field radius (degrees)."""

    better_eye_acuity: Number | None = None
    field_radius_degrees: Number | None = None


def grade_vision(m: VisionMeasurements) -> GradeResult:
    """Acuity < 0.02 or field < 5° → 1; < 0.05 or < 10° → 2; < 0.1 → 3; < 0.3 → 4.

    The more severe of acuity and field decides (acuity on a tie). Only the better eye counts:
    one eye affected while the other sees 0.3 or better is not a visual disability.
    """
    if m.better_eye_acuity is None and m.field_radius_degrees is None:
        raise MeasurementError("missing", "better_eye_acuity")
    results = []
    if m.better_eye_acuity is not None:
        acuity = _dec(m.better_eye_acuity, "better_eye_acuity")
        results.append(GradeResult(_band_below(acuity, VISION_ACUITY_BANDS), "acuity"))
    if m.field_radius_degrees is not None:
        radius = _dec(m.field_radius_degrees, "field_radius_degrees")
        results.append(GradeResult(_band_below(radius, VISION_FIELD_BANDS), "field"))
    return _more_severe(*results)


# --- hearing ------------------------------------------------------------------------------

# Average loss of the better ear in dB HL, without hearing aids: grade if loss > bound.
# Which frequencies are averaged was not confirmed from a primary text.
HEARING_BANDS = ((Decimal(90), 1), (Decimal(80), 2), (Decimal(60), 3), (Decimal(40), 4))
HEARING_MIN_AGE_FOR_GRADE_4 = 3


@dataclass(frozen=True)
class HearingMeasurements:
    """Average hearing loss of the better ear (dB HL, without aids) and age in whole years."""

    better_ear_db_hl: Number
    age_years: int


def grade_hearing(m: HearingMeasurements) -> GradeResult:
    """> 90 dB → 1; 81-90 → 2; 61-80 → 3; 41-60 → 4; ≤ 40 → none.

    Under 3 years old only grades 1-3 are certified: a grade-4 loss gives no grade.
    """
    age = _age(m.age_years)
    loss = _dec(m.better_ear_db_hl, "better_ear_db_hl", allow_negative=True)
    grade = None
    for bound, band_grade in HEARING_BANDS:
        if loss > bound:
            grade = band_grade
            break
    if grade is None:
        return GradeResult(None, NOT_DISABLED)
    if grade == 4 and age < HEARING_MIN_AGE_FOR_GRADE_4:
        return GradeResult(None, "grade_4_under_3")
    return GradeResult(grade, "hearing_loss")


# --- speech -------------------------------------------------------------------------------

# Intelligibility (语音清晰度) in percent: grade if intelligibility <= bound.
# NOT CONFIRMED from a primary text: the grade-4 band 46-65 % (secondary sources only); the
# bounds are kept here so that they can be corrected in one place.
SPEECH_INTELLIGIBILITY_BANDS = (
    (Decimal(10), 1),
    (Decimal(25), 2),
    (Decimal(45), 3),
    (Decimal(65), 4),
)
SPEECH_MIN_AGE = 3
# The condition must have resisted more than 1 year of treatment or lasted more than 2 years.
SPEECH_MIN_TREATED_MONTHS = 12
SPEECH_MIN_DURATION_MONTHS = 24


@dataclass(frozen=True)
class SpeechMeasurements:
    """Intelligibility in percent (or no speech at all) and age in whole years.

    `treated_months` / `duration_months` are optional: when either is given, the condition
    must have been treated for more than 12 months or have lasted more than 24 months.
    """

    age_years: int
    intelligibility_percent: Number | None = None
    no_speech: bool = False
    treated_months: int | None = None
    duration_months: int | None = None


def grade_speech(m: SpeechMeasurements) -> GradeResult:
    """≤ 10 % or no speech → 1; 11-25 → 2; 26-45 → 3; 46-65 → 4; > 65 → none; not under 3."""
    age = _age(m.age_years)
    if not m.no_speech and m.intelligibility_percent is None:
        raise MeasurementError("missing", "intelligibility_percent")
    percent = None
    if m.intelligibility_percent is not None:
        percent = _dec(m.intelligibility_percent, "intelligibility_percent")
        if percent > 100:
            raise MeasurementError("invalid", "intelligibility_percent")
    treated = None if m.treated_months is None else _months(m.treated_months, "treated_months")
    lasted = None if m.duration_months is None else _months(m.duration_months, "duration_months")
    if age < SPEECH_MIN_AGE:
        return GradeResult(None, "too_young")
    if treated is not None or lasted is not None:
        long_treated = treated is not None and treated > SPEECH_MIN_TREATED_MONTHS
        long_lasting = lasted is not None and lasted > SPEECH_MIN_DURATION_MONTHS
        if not (long_treated or long_lasting):
            return GradeResult(None, "duration")
    if m.no_speech or percent is None:
        return GradeResult(1, "no_speech")
    grade = _band_at_most(percent, SPEECH_INTELLIGIBILITY_BANDS)
    return GradeResult(grade, "intelligibility" if grade else NOT_DISABLED)


# --- intellectual and mental -------------------------------------------------------------

# Adaptive behaviour (适应行为) levels: 极重度 / 重度 / 中度 / 轻度, and "none" for no
# significant limitation (so that an assessment can record that the person does not qualify).
ADAPTIVE_LEVELS: dict[str, int | None] = {
    "profound": 1,
    "severe": 2,
    "moderate": 3,
    "mild": 4,
    "none": None,
}
ADAPTIVE_LABELS_ZH = {
    "profound": "极重度",
    "severe": "重度",
    "moderate": "中度",
    "mild": "轻度",
    "none": "无明显障碍",
}

DQ_MAX_AGE = 6  # 0-6 years: developmental quotient
DQ_BANDS = ((Decimal(25), 1), (Decimal(39), 2), (Decimal(54), 3), (Decimal(75), 4))  # ≤ bound
DQ_BORDERLINE = (Decimal(72), Decimal(75))  # graded by adaptive behaviour when it is known
IQ_BANDS = ((Decimal(20), 1), (Decimal(35), 2), (Decimal(50), 3), (Decimal(70), 4))  # < bound
WHODAS_MIN_AGE = 18
WHODAS_BANDS = ((Decimal(116), 1), (Decimal(106), 2), (Decimal(96), 3), (Decimal(52), 4))  # ≥


def _adaptive(level: str | None) -> GradeResult | None:
    if level is None:
        return None
    if level not in ADAPTIVE_LEVELS:
        raise MeasurementError("unknown_level", "adaptive")
    grade = ADAPTIVE_LEVELS[level]
    return GradeResult(grade, "adaptive" if grade else NOT_DISABLED)


def _whodas(score: Number | None) -> GradeResult | None:
    if score is None:
        return None
    grade = _band_at_least(_dec(score, "whodas"), WHODAS_BANDS)
    return GradeResult(grade, "whodas" if grade else NOT_DISABLED)


@dataclass(frozen=True)
class IntellectualMeasurements:
    """Age in whole years and the measures the standard uses at that age.

    0-6: `dq` (and `adaptive` for DQ 72-75); 7+: `iq` and/or `adaptive`; 18+: also `whodas`
    (WHO-DAS II, 36-item simple score). `adaptive` is a key of ADAPTIVE_LEVELS.
    """

    age_years: int
    dq: Number | None = None
    iq: Number | None = None
    adaptive: str | None = None
    whodas: Number | None = None


def grade_intellectual(m: IntellectualMeasurements) -> GradeResult:
    """Grade intellectual disability by age group.

    0-6 years: DQ ≤ 25 → 1; 26-39 → 2; 40-54 → 3; 55-75 → 4; DQ 72-75 is graded by adaptive
    behaviour when it is known ("发育商在72~75之间的按适应行为分级"), otherwise grade 4.
    7+ years: IQ < 20 → 1; 20-34 → 2; 35-49 → 3; 50-69 → 4, with adaptive behaviour
    profound/severe/moderate/mild → 1-4; when the two disagree adaptive behaviour decides.
    18+ years: the standard adds WHO-DAS II (≥ 116 → 1; 106-115 → 2; 96-105 → 3; 52-95 → 4)
    only as "reflecting activity and participation" and gives no rule for combining it. Our
    reading, for the portal: the IQ/adaptive grade and the WHO-DAS II grade are both computed
    and the MORE SEVERE one is implied (either alone suffices); a doctor who disagrees records
    a different grade with a written reason, which triggers the second review.
    """
    age = _age(m.age_years)
    adaptive = _adaptive(m.adaptive)
    if age <= DQ_MAX_AGE:
        for name in ("iq", "whodas"):
            if getattr(m, name) is not None:
                raise MeasurementError("not_applicable", name)
        if m.dq is None:
            raise MeasurementError("missing", "dq")
        dq = _dec(m.dq, "dq")
        if adaptive is not None and DQ_BORDERLINE[0] <= dq <= DQ_BORDERLINE[1]:
            grade = adaptive.grade
            return GradeResult(grade, "dq_borderline_adaptive" if grade else NOT_DISABLED)
        grade = _band_at_most(dq, DQ_BANDS)
        return GradeResult(grade, "dq" if grade else NOT_DISABLED)

    if m.dq is not None:
        raise MeasurementError("not_applicable", "dq")
    if m.whodas is not None and age < WHODAS_MIN_AGE:
        raise MeasurementError("not_applicable", "whodas")
    if m.iq is None and adaptive is None and m.whodas is None:
        raise MeasurementError("missing", "iq")
    iq = None
    if m.iq is not None:
        iq_grade = _band_below(_dec(m.iq, "iq"), IQ_BANDS)
        iq = GradeResult(iq_grade, "iq" if iq_grade else NOT_DISABLED)
    if iq is not None and adaptive is not None:
        if iq.grade == adaptive.grade:
            base = GradeResult(iq.grade, "iq_and_adaptive" if iq.grade else NOT_DISABLED)
        else:
            base = GradeResult(
                adaptive.grade, "adaptive_over_iq" if adaptive.grade else NOT_DISABLED
            )
    else:
        base = iq or adaptive
    whodas = _whodas(m.whodas)
    parts = [r for r in (base, whodas) if r is not None]
    return _more_severe(*parts)


MENTAL_MIN_DURATION_MONTHS = 12  # the condition must have lasted MORE than one year


@dataclass(frozen=True)
class MentalMeasurements:
    """Age, how long the condition has lasted, WHO-DAS II score (18+), adaptive behaviour."""

    age_years: int
    duration_months: int
    whodas: Number | None = None
    adaptive: str | None = None


def grade_mental(m: MentalMeasurements) -> GradeResult:
    """Grade mental disability; the condition must have lasted more than 12 months.

    18+ years: WHO-DAS II (same bands as intellectual) is required. As secondary sources quote
    the standard, adults are graded by WHO-DAS II together with adaptive behaviour, without a
    rule for combining them; our reading: when adaptive behaviour is also given, the more
    severe of the two is implied (as for intellectual disability).
    Under 18: adaptive behaviour only (WHO-DAS II is not used and is refused).
    """
    age = _age(m.age_years)
    duration = _months(m.duration_months, "duration_months")
    adaptive = _adaptive(m.adaptive)
    if age >= WHODAS_MIN_AGE:
        if m.whodas is None:
            raise MeasurementError("missing", "whodas")
    else:
        if m.whodas is not None:
            raise MeasurementError("not_applicable", "whodas")
        if adaptive is None:
            raise MeasurementError("missing", "adaptive")
    whodas = _whodas(m.whodas)
    if duration <= MENTAL_MIN_DURATION_MONTHS:
        return GradeResult(None, "duration")
    return _more_severe(*[r for r in (whodas, adaptive) if r is not None])


# --- multiple and entry point -------------------------------------------------------------


def most_severe(grades: Iterable[int | None]) -> int | None:
    """The lowest (most severe) grade among `grades`, ignoring None; None if there is none."""
    graded = [g for g in grades if g is not None]
    return min(graded) if graded else None


@dataclass(frozen=True)
class MultipleMeasurements:
    """The measurements of every category involved, keyed by category code."""

    components: Mapping[str, object] = field(default_factory=dict)


def grade_multiple(m: MultipleMeasurements) -> GradeResult:
    """The most severe grade among the categories involved (grade 1 is the most severe).

    With exactly one qualifying category the grade is still returned, with reason
    ``single_category``: the case is then really a single-category one.
    """
    if not m.components:
        raise MeasurementError("missing", "components")
    grades = []
    for category, measurements in m.components.items():
        if category == "multiple" or category not in _GRADERS:
            raise MeasurementError("category", str(category))
        grades.append(implied_grade(category, measurements).grade)
    grade = most_severe(grades)
    if grade is None:
        return GradeResult(None, NOT_DISABLED)
    qualifying = sum(g is not None for g in grades)
    return GradeResult(grade, "most_severe" if qualifying > 1 else "single_category")


_GRADERS: dict[str, tuple[type, Callable[..., GradeResult]]] = {
    "vision": (VisionMeasurements, grade_vision),
    "hearing": (HearingMeasurements, grade_hearing),
    "speech": (SpeechMeasurements, grade_speech),
    "physical": (LimbMeasurements, grade_limb),
    "intellectual": (IntellectualMeasurements, grade_intellectual),
    "mental": (MentalMeasurements, grade_mental),
    "multiple": (MultipleMeasurements, grade_multiple),
}


def implied_grade(category: str, measurements: object) -> GradeResult:
    """The grade the standard implies for `measurements` of a category (CATEGORIES code)."""
    if category not in _GRADERS:
        raise MeasurementError("category", str(category))
    kind, grader = _GRADERS[category]
    if not isinstance(measurements, kind):
        raise MeasurementError("category", category)
    return grader(measurements)


def check_doctor_grade(implied: GradeResult | int | None, doctor_grade: int | None) -> bool:
    """True when the doctor's grade (None: not disabled) equals the implied one.

    A False result means the doctor must write a reason and a second doctor must review.
    """
    expected = implied.grade if isinstance(implied, GradeResult) else implied
    for grade in (expected, doctor_grade):
        if grade is not None and (isinstance(grade, bool) or grade not in GRADES):
            raise MeasurementError("invalid", "grade")
    return expected == doctor_grade


# --- the seed's exception to the rehabilitation period -----------------------------------

REHAB_PERIOD_MONTHS = 12
STROKE_EXCEPTION_MIN_AGE = 60


def rehab_exception_applies(
    age: int,
    obvious_limb_loss: bool,
    stroke_or_haemorrhage_limb_dysfunction: bool,
    months_since_onset: int,
) -> bool:
    """Whether someone inside the 1-year rehabilitation period may still be assessed.

    Only when the period is not over: a limb is obviously missing, or the person is 60 or older
    with limb dysfunction after a stroke or cerebral haemorrhage. Such assessments are made
    from medical records. Once the period is over no exception is needed (returns False).
    """
    _age(age, "age")
    _months(months_since_onset, "months_since_onset")
    if months_since_onset >= REHAB_PERIOD_MONTHS:
        return False
    if obvious_limb_loss:
        return True
    return bool(stroke_or_haemorrhage_limb_dysfunction) and age >= STROKE_EXCEPTION_MIN_AGE
