"""Forms of petitions: recorded by staff, filed by a guardian, sent from the public form, and one
small form per step. Choices come from the caller (units, townships, the guardian's people)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.clock import local_today
from portal.late_entry import validate_done_date
from portal.petitions.labels import CATEGORY_LABELS, CHANNEL_LABELS, TOLD_LABELS
from portal.petitions.models import CATEGORIES, STAFF_CHANNELS, TOLD_HOW
from portal.petitions.services import CONTENT_MAX


def _strip(value):
    return (value or "").strip()


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


NAME_REQUIRED = _l("Enter the petitioner's name.")
CONTENT_REQUIRED = _l("Write what the petition asks for or complains about.")
REASON_REQUIRED = _l("Write the reason.")


class PetitionContentForm(FlaskForm):
    """What every petition carries: the petitioner, the subject and the content."""

    petitioner_name = StringField(_l("Name of the petitioner"), filters=[_strip],
                                  validators=[DataRequired(message=NAME_REQUIRED),
                                              Length(max=100)],
                                  render_kw={"autocomplete": "name"})
    petitioner_phone = StringField(_l("Phone"), filters=[_strip],
                                   validators=[Optional(), Length(max=40)],
                                   render_kw={"autocomplete": "tel", "inputmode": "tel"})
    category = SelectField(_l("What it is about"),
                           choices=_options((c, CATEGORY_LABELS[c]) for c in CATEGORIES))
    about_township_staff = BooleanField(
        _l("It complains about the conduct of the township's own staff"))
    content = TextAreaField(_l("The petition"), filters=[_strip],
                            validators=[DataRequired(message=CONTENT_REQUIRED),
                                        Length(max=CONTENT_MAX)],
                            render_kw={"rows": 6})


class StaffPetitionForm(PetitionContentForm):
    """A petition received by the office: visit, letter, phone, 12345 hotline, online."""

    channel = SelectField(_l("How it was received"), choices=_options((c, CHANNEL_LABELS[c])
                                                              for c in STAFF_CHANNELS))
    received_on = DateField(_l("Day received"), validators=[
        InputRequired(message=_l("Enter the day it was received."))])
    late_reason = StringField(_l("Why it is entered late (when received before today)"),
                              filters=[_strip], validators=[Length(max=2000)])
    petitioner_address = StringField(_l("Address"), filters=[_strip],
                                     validators=[Length(max=200)])
    township = SelectField(_l("Township it concerns"), coerce=_int_or_zero)
    subject_unit = SelectField(_l("Unit it concerns"), default="")
    case_number = IntegerField(_l("Case number (optional)"), validators=[
        Optional(), NumberRange(min=1, message=_l("A case number is a whole number."))])
    certificate_number = StringField(_l("Certificate number (optional)"), filters=[_strip],
                                     validators=[Length(max=30)],
                                     render_kw={"autocomplete": "off"})
    id_number = StringField(_l("ID number of the person concerned (optional)"),
                            filters=[_strip], validators=[Length(max=30)],
                            render_kw={"autocomplete": "off", "spellcheck": "false"})
    unit = SelectField(_l("Handled by"))
    attachment = FileField(_l("Attachment (optional: letter, photo, PDF, recording)"))

    def __init__(self, *args, townships=(), units=(), fixed_township=None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.received_on.data is None and not self.is_submitted():
            self.received_on.data = local_today()
        if fixed_township is not None:
            self.township.choices = _options([(fixed_township.id, fixed_township.name)])
        else:
            self.township.choices = _options([(0, _l("— no township —"))] + [
                (t.id, t.name) for t in townships])
        self.unit.choices = _options(units)
        self.subject_unit.choices = _options([("", _l("— no unit —"))] + list(units))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        return validate_done_date(self.received_on, self.late_reason) and ok


class GuardianPetitionForm(PetitionContentForm):
    """A guardian files a petition from the guardian portal."""

    person = SelectField(_l("About which applicant"), coerce=_int_or_zero)
    attachment = FileField(_l("Attachment (optional: letter, photo, PDF, recording)"))

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.person.choices = _options([(0, _l("— none of them —"))]
                                       + [(p.id, p.name) for p in people])


class PublicPetitionForm(PetitionContentForm):
    """Anyone, without an account: the phone is needed to tell them the decision."""

    petitioner_phone = StringField(_l("Phone"), filters=[_strip], validators=[
        DataRequired(message=_l("Enter a phone number, so that the office can tell you its "
                                "decision.")), Length(max=40)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"})
    township = SelectField(_l("Township it concerns"), coerce=_int_or_zero)
    consent = BooleanField(
        _l("I agree that the DPF uses my name and phone to handle this petition and to "
           "contact me about it."),
        validators=[DataRequired(message=_l("Without this agreement the petition cannot be "
                                            "handled."))])
    attachment = FileField(_l("Attachment (optional: letter, photo, PDF, recording)"))

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.township.choices = _options([(0, _l("— not about one township / not sure —"))]
                                         + [(t.id, t.name) for t in townships])


# --- steps ------------------------------------------------------------------------------------

class TakeForm(FlaskForm):
    """Take the petition on (no fields)."""


class DecideForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=_options([("accept", _l("Accept")),
                                                            ("decline", _l("Do not accept"))]),
                          validators=[InputRequired(message=_l("Choose a decision."))])
    note = TextAreaField(_l("Reason (required when not accepted)"), filters=[_strip],
                         validators=[Length(max=5000)])
    told_on = DateField(_l("Day the petitioner was told"), validators=[
        InputRequired(message=_l("Enter the day the petitioner was told."))])
    told_how = SelectField(_l("How the petitioner was told"),
                           choices=_options((c, TOLD_LABELS[c]) for c in TOLD_HOW))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.told_on.data is None and not self.is_submitted():
            self.told_on.data = local_today()


class ExtensionForm(FlaskForm):
    days = IntegerField(_l("Days of extension"), validators=[
        InputRequired(message=_l("Enter the number of days."))])
    reason = TextAreaField(_l("Why the answer needs more time"), filters=[_strip],
                           validators=[DataRequired(message=REASON_REQUIRED),
                                       Length(max=5000)])


class ExtensionDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=_options([("approve", _l("Approve the extension")),
                                                            ("decline", _l("Decline"))]),
                          validators=[InputRequired(message=_l("Choose a decision."))])
    note = TextAreaField(_l("Note (required when declined)"), filters=[_strip],
                         validators=[Length(max=5000)])


class AnswerForm(FlaskForm):
    text = TextAreaField(_l("Answer given to the petitioner"), filters=[_strip],
                         validators=[DataRequired(message=_l("Write the answer.")),
                                     Length(max=5000)], render_kw={"rows": 5})


class ReviewRequestForm(FlaskForm):
    reason = TextAreaField(_l("Why the petitioner asks for a review"), filters=[_strip],
                           validators=[DataRequired(message=REASON_REQUIRED),
                                       Length(max=5000)])


class ReviewAnswerForm(FlaskForm):
    text = TextAreaField(_l("Review decision given to the petitioner"), filters=[_strip],
                         validators=[DataRequired(message=_l("Write the review decision.")),
                                     Length(max=5000)], render_kw={"rows": 5})


class TransferForm(FlaskForm):
    unit = SelectField(_l("Send to"))
    reason = TextAreaField(_l("Reason"), filters=[_strip],
                           validators=[DataRequired(message=REASON_REQUIRED),
                                       Length(max=5000)])

    def __init__(self, *args, units=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unit.choices = _options(units)


class EscalateForm(FlaskForm):
    reason = TextAreaField(_l("Reason"), filters=[_strip],
                           validators=[DataRequired(message=REASON_REQUIRED),
                                       Length(max=5000)])


class AttachmentForm(FlaskForm):
    attachment = FileField(_l("File"))
