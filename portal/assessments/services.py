"""Signing an assessment: measurements → implied grade, the doctor's grade, exceptions,
second review. Every state change of the case goes through the workflow table.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from portal.assessments.models import Assessment, SecondReview
from portal.audit.services import record_event
from portal.cases.models import Case
from portal.cases.workflow import apply_transition
from portal.doctors.services import local_today, signing_refusal
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
from portal.domain.limb import LimbMeasurements
from portal.extensions import db

SINGLE_CATEGORIES = tuple(c for c in grading.CATEGORIES if c != "multiple")
# The form fields of each category, and the grading name each one stands for.
FIELDS: dict[str, dict[str, str]] = {
    "vision": {"vision_acuity": "better_eye_acuity", "vision_field": "field_radius_degrees"},
    "hearing": {"hearing_db": "better_ear_db_hl"},
    "speech": {"speech_intelligibility": "intelligibility_percent",
               "speech_no_speech": "no_speech", "speech_treated_months": "treated_months",
               "speech_duration_months": "duration_months"},
    "intellectual": {"intellectual_dq": "dq", "intellectual_iq": "iq",
                     "intellectual_adaptive": "adaptive", "intellectual_whodas": "whodas"},
    "mental": {"mental_whodas": "whodas", "mental_adaptive": "adaptive",
               "mental_duration_months": "duration_months"},
    "physical": {"limb_clause": "clause", "limb_without_aids": "without_aids"},
}
MEASUREMENT_CLASSES = {
    "vision": VisionMeasurements,
    "hearing": HearingMeasurements,
    "speech": SpeechMeasurements,
    "intellectual": IntellectualMeasurements,
    "mental": MentalMeasurements,
    "physical": LimbMeasurements,
}
AGED = {"hearing", "speech", "intellectual", "mental"}
REHAB_EXCEPTIONS = {"obvious_limb_loss", "stroke_over_60"}
BATCH_CATEGORIES = {"intellectual", "vision", "hearing"}


class AssessmentRefused(ValueError):
    """The assessment cannot be signed as entered; `field` names the form field to mark."""

    def __init__(self, code: str, field: str = "", detail: str = ""):
        super().__init__(code)
        self.code = code
        self.field = field
        self.detail = detail


@dataclass
class AssessmentData:
    category: str
    method: str
    values: dict[str, object]
    grade: int | None
    involved: list[str] = field(default_factory=list)
    not_disabled_reason: str = ""
    mismatch_reason: str = ""
    second_doctor_id: int | None = None
    exception: str = ""
    months_since_onset: int | None = None
    records_brought_by: str = ""
    first_secretary: str = ""
    evidence_note: str = ""


def age_on(birth: date, day: date) -> int:
    """Age in whole years on `day`."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _measurements(category: str, values: dict, age: int):
    kwargs = {name: values.get(form_field) for form_field, name in FIELDS[category].items()}
    if category == "speech":
        kwargs["no_speech"] = bool(kwargs["no_speech"])
    if category == "physical":
        kwargs["without_aids"] = bool(kwargs["without_aids"])
        kwargs["clause"] = kwargs["clause"] or None
    for name in ("adaptive",):
        if name in kwargs:
            kwargs[name] = kwargs[name] or None
    if category in AGED:
        kwargs["age_years"] = age
    if category == "mental" and kwargs["duration_months"] is None:
        raise MeasurementError("missing", "duration_months")
    return MEASUREMENT_CLASSES[category](**kwargs)


def _form_field(category: str, grading_name: str) -> str:
    for form_field, name in FIELDS.get(category, {}).items():
        if name == grading_name:
            return form_field
    return ""


def grade_values(category: str, involved: list[str], values: dict,
                 age: int) -> tuple[GradeResult, dict[str, int | None]]:
    """The implied grade of the entered values, and each involved category's own grade.

    Raises AssessmentRefused naming the form field of a value the standard cannot grade.
    """
    categories = list(involved) if category == "multiple" else [category]
    if category == "multiple" and len(categories) < 2:
        raise AssessmentRefused("multiple_needs_two", "involved")
    if any(c not in SINGLE_CATEGORIES for c in categories):
        raise AssessmentRefused("unknown_category", "involved")
    components, grades = {}, {}
    for cat in categories:
        try:
            components[cat] = _measurements(cat, values, age)
            grades[cat] = implied_grade(cat, components[cat]).grade
        except MeasurementError as exc:
            raise AssessmentRefused(f"measure_{exc.code}", _form_field(cat, exc.field),
                                    exc.field) from exc
    if category == "multiple":
        return implied_grade("multiple", MultipleMeasurements(components)), grades
    return implied_grade(category, components[category]), grades


def _clean_values(category: str, involved: list[str], values: dict) -> dict:
    """The entered values of the categories assessed, JSON-safe (decimals as strings)."""
    categories = involved if category == "multiple" else [category]
    kept = {}
    for cat in categories:
        for form_field in FIELDS[cat]:
            value = values.get(form_field)
            kept[form_field] = str(value) if isinstance(value, Decimal) else value
    return kept


def _check_exception(data: AssessmentData, categories: list[str], age: int) -> dict:
    """Refuse an exception whose conditions are not met; return the details to keep."""
    exc = data.exception
    if not exc:
        return {}
    if exc in REHAB_EXCEPTIONS:
        if "physical" not in categories:
            raise AssessmentRefused("exception_needs_limb", "exception")
        if data.months_since_onset is None:
            raise AssessmentRefused("months_since_onset_required", "months_since_onset")
        clause = str(data.values.get("limb_clause") or "")
        if exc == "obvious_limb_loss" and "missing" not in clause:
            raise AssessmentRefused("limb_loss_clause_required", "limb_clause")
        if not rehab_exception_applies(age, exc == "obvious_limb_loss",
                                       exc == "stroke_over_60", data.months_since_onset):
            if data.months_since_onset >= grading.REHAB_PERIOD_MONTHS:
                raise AssessmentRefused("exception_not_needed", "months_since_onset")
            raise AssessmentRefused("stroke_exception_under_60", "exception")
        return {"months_since_onset": data.months_since_onset}
    if exc == "mental_hospital_records":
        if "mental" not in categories:
            raise AssessmentRefused("exception_needs_mental", "exception")
        if data.method != "records":
            raise AssessmentRefused("records_method_required", "method")
        if not data.records_brought_by.strip():
            raise AssessmentRefused("records_brought_by_required", "records_brought_by")
        if not data.first_secretary.strip():
            raise AssessmentRefused("first_secretary_required", "first_secretary")
        return {"records_brought_by": data.records_brought_by.strip(),
                "first_secretary": data.first_secretary.strip()}
    if exc == "organised_batch":
        if not set(categories) <= BATCH_CATEGORIES:
            raise AssessmentRefused("batch_categories_only", "exception")
        return {"organised_batch": True}
    raise AssessmentRefused("unknown_exception", "exception")


def record_assessment(case: Case, *, actor, access, data: AssessmentData,
                      day: date | None = None) -> Assessment:
    """Sign the assessment of a case: moves it to assessed, or to second review on mismatch."""
    day = day or local_today()
    age = age_on(case.person.birth_date, day)
    involved = sorted(set(data.involved)) if data.category == "multiple" else []
    implied, component_grades = grade_values(data.category, involved, data.values, age)
    categories = involved if data.category == "multiple" else [data.category]
    details = _check_exception(data, categories, age)
    if data.grade is None and not data.not_disabled_reason.strip():
        raise AssessmentRefused("not_disabled_reason_required", "not_disabled_reason")
    matches = check_doctor_grade(implied, data.grade)
    if not matches:
        if not data.mismatch_reason.strip():
            raise AssessmentRefused("mismatch_reason_required", "mismatch_reason")
        if data.second_doctor_id is None:
            raise AssessmentRefused("second_doctor_missing", "second_doctor")
        if data.second_doctor_id == actor.id:
            raise AssessmentRefused("second_doctor_is_first", "second_doctor")
        if signing_refusal(data.second_doctor_id, [data.category, *involved], day):
            raise AssessmentRefused("second_doctor_not_certified", "second_doctor")
    signing = {"category": data.category, "categories": [data.category, *involved],
               "signed_on": day}
    apply_transition(case, "record_assessment", actor=actor, access=access, **signing)
    case.category = data.category
    case.grade = data.grade
    case.not_disabled_reason = "" if data.grade is not None else data.not_disabled_reason.strip()
    measurements = _clean_values(data.category, involved, data.values)
    if involved:
        measurements["involved"] = involved
        measurements["component_grades"] = component_grades
    assessment = Assessment(
        township_id=case.township_id, case=case, doctor_id=actor.id, method=data.method,
        category=data.category, measurements=measurements, age_years=age,
        implied_grade=implied.grade, implied_reason=implied.reason, grade=data.grade,
        not_disabled_reason=case.not_disabled_reason,
        mismatch_reason="" if matches else data.mismatch_reason.strip(),
        exception=data.exception, exception_details=details,
        evidence_note=data.evidence_note.strip(),
    )
    db.session.add(assessment)
    if not matches:
        case.second_doctor_id = data.second_doctor_id
        apply_transition(case, "request_second_review", actor=actor, access=access, **signing)
    db.session.flush()
    record_event("assessment.signed", actor=actor, obj=assessment, details={
        "case_id": case.id, "category": data.category, "implied_grade": implied.grade,
        "grade": data.grade, "mismatch": not matches, "exception": data.exception,
    })
    return assessment


def record_assessments_viewed(assessments, actor, via: str) -> None:
    """Audit that `actor` saw the measurements of each assessment (medical data)."""
    for assessment in assessments:
        record_event("assessment.view", actor=actor, obj=assessment,
                     details={"case_id": assessment.case_id, "via": via})


def latest_assessment(case: Case) -> Assessment | None:
    """The most recent assessment of the case."""
    return db.session.scalar(select(Assessment).where(Assessment.case_id == case.id)
                             .order_by(Assessment.id.desc()).limit(1))


def review_assessment(case: Case, *, actor, access, agrees: bool, note: str = "",
                      day: date | None = None) -> SecondReview:
    """The second doctor confirms the differing grade, or sends the case back to its doctor."""
    day = day or local_today()
    assessment = latest_assessment(case)
    if assessment is None:
        raise AssessmentRefused("nothing_to_review")
    if not agrees and not note.strip():
        raise AssessmentRefused("disagreement_note_required", "note")
    involved = list(assessment.measurements.get("involved", []))
    signing = {"category": assessment.category,
               "categories": [assessment.category, *involved], "signed_on": day}
    action = "confirm_second_review" if agrees else "return_for_reassessment"
    apply_transition(case, action, actor=actor, access=access, note=note.strip(), **signing)
    if not agrees:
        case.category = None
        case.grade = None
        case.not_disabled_reason = ""
    review = SecondReview(township_id=case.township_id, assessment=assessment,
                          doctor_id=actor.id, agrees=agrees, note=note.strip())
    db.session.add(review)
    db.session.flush()
    record_event("assessment.second_review", actor=actor, obj=review,
                 details={"case_id": case.id, "assessment_id": assessment.id,
                          "agrees": agrees})
    return review
