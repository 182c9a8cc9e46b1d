"""The assessment form (fields of every category; the page shows the chosen category's) and
the second doctor's review form."""
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from portal.assessments.models import ASSESSMENT_METHODS
from portal.assessments.services import SINGLE_CATEGORIES
from portal.domain.grading import ADAPTIVE_LEVELS
from portal.domain.limb import LIMB_CLAUSES
from portal.labels import LABELS

METHOD_LABELS = {
    "concentrated": _l("At a concentrated day"),
    "home_visit": _l("At home"),
    "video": _l("By video"),
    "records": _l("From medical records"),
    "hospital": _l("In person at a designated hospital (booked)"),
    "batch": _l("In an organised batch at a designated hospital"),
}
ADAPTIVE_LABELS = {
    "profound": _l("Profound"),
    "severe": _l("Severe"),
    "moderate": _l("Moderate"),
    "mild": _l("Mild"),
    "none": _l("No significant limitation"),
}
EXCEPTION_LABELS = {
    "": _l("None"),
    "obvious_limb_loss": _l(
        "Rehabilitation year not over, but a limb is obviously missing (from records)"),
    "stroke_over_60": _l(
        "Rehabilitation year not over, aged 60 or more with limb dysfunction after stroke or "
        "cerebral haemorrhage (from records)"),
    "mental_hospital_records": _l(
        "Mental illness assessed from hospital records brought by the guardian with the "
        "village first secretary"),
    "organised_batch": _l("Assessed in an organised batch (intellectual, vision, hearing)"),
}
OUTCOME_NOT_DISABLED = "none"

_number = [Optional(), NumberRange(min=0, message=_l("Enter a value of 0 or more."))]
_months = [Optional(), NumberRange(min=0, max=2000, message=_l("Enter whole months, 0 or more."))]


class AssessmentForm(FlaskForm):
    """Measured values, the doctor's grade and the conditions of any exception."""

    method = SelectField(_l("How the person was assessed"),
                         validators=[InputRequired(message=_l("Choose how."))])
    involved = SelectMultipleField(_l("Categories involved"), validators=[Optional()])
    # vision
    vision_acuity = DecimalField(
        _l("Best-corrected visual acuity of the better eye (decimal, 0 = no light perception)"),
        places=None, validators=_number)
    vision_field = DecimalField(_l("Visual-field radius (degrees)"), places=None,
                                validators=_number)
    # hearing
    hearing_db = DecimalField(
        _l("Average hearing loss of the better ear, without hearing aids (dB HL)"),
        places=None, validators=[Optional()])
    # speech
    speech_intelligibility = DecimalField(_l("Speech intelligibility (%)"), places=None,
                                          validators=_number)
    speech_no_speech = BooleanField(_l("No speech at all"))
    speech_treated_months = IntegerField(_l("Months of treatment so far"), validators=_months)
    speech_duration_months = IntegerField(_l("Months the condition has lasted"),
                                          validators=_months)
    # intellectual
    intellectual_dq = DecimalField(_l("Developmental quotient (DQ, ages 0–6)"), places=None,
                                   validators=_number)
    intellectual_iq = DecimalField(_l("Intelligence quotient (IQ, ages 7 and over)"),
                                   places=None, validators=_number)
    intellectual_adaptive = SelectField(_l("Adaptive behaviour"), validators=[Optional()])
    intellectual_whodas = DecimalField(_l("WHO-DAS II score (ages 18 and over)"), places=None,
                                       validators=_number)
    # mental
    mental_whodas = DecimalField(_l("WHO-DAS II score (ages 18 and over)"), places=None,
                                 validators=_number)
    mental_adaptive = SelectField(_l("Adaptive behaviour (under 18)"), validators=[Optional()])
    mental_duration_months = IntegerField(_l("Months the condition has lasted"),
                                          validators=_months)
    # limb
    limb_clause = SelectField(_l("Clause of the standard"), validators=[Optional()])
    limb_without_aids = BooleanField(_l("Assessed without prostheses or other aids"),
                                     default=True)
    # outcome
    outcome = SelectField(_l("Your grade"),
                          validators=[InputRequired(message=_l("Choose a grade."))])
    not_disabled_reason = TextAreaField(_l("Why the person is not disabled"),
                                        validators=[Optional(), Length(max=2000)])
    mismatch_reason = TextAreaField(_l("Why your grade differs from the measured one"),
                                    validators=[Optional(), Length(max=2000)])
    # Choices list the certified doctors; the service explains any other choice.
    second_doctor = SelectField(_l("Second doctor to review the grade"),
                                validators=[Optional()], validate_choice=False)
    exception = SelectField(_l("Exception used"), validators=[Optional()])
    months_since_onset = IntegerField(_l("Months since onset (injury, stroke)"),
                                      validators=_months)
    records_brought_by = StringField(_l("Guardian who brought the hospital records"),
                                     validators=[Optional(), Length(max=60)])
    first_secretary = StringField(_l("Village first secretary who came with them"),
                                  validators=[Optional(), Length(max=60)])
    evidence_note = TextAreaField(_l("Evidence used"), validators=[Optional(), Length(max=2000)])
    preview = SubmitField(_l("Check the measured grade"))
    sign = SubmitField(_l("Sign the assessment"))

    def __init__(self, second_doctors, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zh = str(get_locale() or "").startswith("zh")
        self.method.choices = [C(m, METHOD_LABELS[m]) for m in ASSESSMENT_METHODS]
        self.involved.choices = [C(c, LABELS["category"][c]) for c in SINGLE_CATEGORIES]
        adaptive = [C("", _l("Not assessed"))] + [C(k, ADAPTIVE_LABELS[k])
                                                  for k in ADAPTIVE_LEVELS]
        self.intellectual_adaptive.choices = adaptive
        self.mental_adaptive.choices = list(adaptive)
        self.limb_clause.choices = [C("", _l("No clause applies"))] + [
            C(c.code, f"{c.zh if zh else c.en} ({_l('grade %(n)s', n=c.grade)})")
            for c in LIMB_CLAUSES
        ]
        self.outcome.choices = [C(str(g), _l("Grade %(n)s", n=g)) for g in (1, 2, 3, 4)] + [
            C(OUTCOME_NOT_DISABLED, _l("Not disabled"))]
        self.second_doctor.choices = [C("", _l("Only needed when your grade differs"))] + [
            C(str(d.id), d.display_name or d.username) for d in second_doctors]
        self.exception.choices = [C(k, v) for k, v in EXCEPTION_LABELS.items()]


class ReviewForm(FlaskForm):
    """The second doctor's decision on a differing grade."""

    decision = SelectField(
        _l("Your decision"),
        choices=[C("agree", _l("I agree with the grade and its reason")),
                 C("disagree", _l("I disagree: return the case to its doctor"))],
        validators=[InputRequired(message=_l("Choose agree or disagree."))],
    )
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])
