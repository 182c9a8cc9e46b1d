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
from portal.cases.workflow import apply_transition, refusals_renamed
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
from portal.refusals import Refused
from portal.uow import after_rollback, unit_of_work

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
# The signing page says why an assessment cannot be *signed* where the workflow speaks of any
# step.
SIGNING = {"wrong_state": "signing_wrong_state", "not_permitted": "signing_not_permitted"}


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

    Raises Refused naming the form field of a value the standard cannot grade.
    """
    categories = list(involved) if category == "multiple" else [category]
    if category == "multiple" and len(categories) < 2:
        raise Refused("multiple_needs_two", field="involved")
    if any(c not in SINGLE_CATEGORIES for c in categories):
        raise Refused("assessment_unknown_category", field="involved")
    components, grades = {}, {}
    for cat in categories:
        try:
            components[cat] = _measurements(cat, values, age)
            grades[cat] = implied_grade(cat, components[cat]).grade
        except MeasurementError as exc:
            raise Refused(f"measure_{exc.code}",
                          field=_form_field(cat, exc.field) or None) from exc
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
            raise Refused("exception_needs_limb", field="exception")
        if data.months_since_onset is None:
            raise Refused("months_since_onset_required", field="months_since_onset")
        clause = str(data.values.get("limb_clause") or "")
        if exc == "obvious_limb_loss" and "missing" not in clause:
            raise Refused("limb_loss_clause_required", field="limb_clause")
        if not rehab_exception_applies(age, exc == "obvious_limb_loss",
                                       exc == "stroke_over_60", data.months_since_onset):
            if data.months_since_onset >= grading.REHAB_PERIOD_MONTHS:
                raise Refused("exception_not_needed", field="months_since_onset")
            raise Refused("stroke_exception_under_60", field="exception")
        return {"months_since_onset": data.months_since_onset}
    if exc == "mental_hospital_records":
        if "mental" not in categories:
            raise Refused("exception_needs_mental", field="exception")
        if data.method != "records":
            raise Refused("records_method_required", field="method")
        if not data.records_brought_by.strip():
            raise Refused("records_brought_by_required", field="records_brought_by")
        if not data.first_secretary.strip():
            raise Refused("first_secretary_required", field="first_secretary")
        return {"records_brought_by": data.records_brought_by.strip(),
                "first_secretary": data.first_secretary.strip()}
    if exc == "organised_batch":
        if not set(categories) <= BATCH_CATEGORIES:
            raise Refused("batch_categories_only", field="exception")
        return {"organised_batch": True}
    raise Refused("assessment_unknown_exception", field="exception")


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
        raise Refused("not_disabled_reason_required", field="not_disabled_reason")
    matches = check_doctor_grade(implied, data.grade)
    if not matches:
        if not data.mismatch_reason.strip():
            raise Refused("mismatch_reason_required", field="mismatch_reason")
        if data.second_doctor_id is None:
            raise Refused("second_doctor_missing", field="second_doctor")
        if data.second_doctor_id == actor.id:
            raise Refused("second_doctor_is_first", field="second_doctor")
        if signing_refusal(data.second_doctor_id, [data.category, *involved], day):
            raise Refused("second_doctor_not_certified", field="second_doctor")
    signing = {"category": data.category, "categories": [data.category, *involved],
               "signed_on": day}
    with refusals_renamed(SIGNING):
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
        with refusals_renamed(SIGNING):
            apply_transition(case, "request_second_review", actor=actor, access=access,
                             **signing)
    db.session.flush()
    record_event("assessment.signed", actor=actor, obj=assessment, details={
        "case_id": case.id, "category": data.category, "implied_grade": implied.grade,
        "grade": data.grade, "mismatch": not matches, "exception": data.exception,
    })
    return assessment


def record_assessments_viewed(assessments, actor, via: str) -> None:
    """Audit that `actor` saw the measurements of each assessment (medical data).

    The page shows them whatever becomes of its request: when the request rolls back (a
    refused review shown again with its error), the events are written again in a unit of
    work of their own."""
    seen = [(a.id, a.case_id, a.township_id) for a in assessments]
    actor_id = getattr(actor, "id", None)
    _record_views(seen, actor, via)
    if seen:
        after_rollback(lambda: _keep_views(seen, actor_id, via))


def _record_views(seen: list[tuple[int, int, int]], actor, via: str) -> None:
    for assessment_id, case_id, township_id in seen:
        record_event("assessment.view", actor=actor, township_id=township_id,
                     object_type="assessments", object_id=assessment_id,
                     details={"case_id": case_id, "via": via})


def _keep_views(seen: list[tuple[int, int, int]], actor_id: int | None, via: str) -> None:
    from portal.auth.models import User

    with unit_of_work():
        _record_views(seen, db.session.get(User, actor_id) if actor_id else None, via)


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
        raise Refused("assessment_nothing_to_review")
    if not agrees and not note.strip():
        raise Refused("disagreement_note_required", field="note")
    involved = list(assessment.measurements.get("involved", []))
    signing = {"category": assessment.category,
               "categories": [assessment.category, *involved], "signed_on": day}
    action = "confirm_second_review" if agrees else "return_for_reassessment"
    with refusals_renamed(SIGNING):
        apply_transition(case, action, actor=actor, access=access, note=note.strip(),
                         **signing)
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
