"""Forms of the certificates area: print and dispatch batches, receipt, handover, reprint."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp

from portal.late_entry import validate_done_date

HANDOVER_RELATION_LABELS = {
    "self": _l("The person themselves"),
    "guardian": _l("Guardian"),
    "family": _l("Family member"),
    "agent": _l("Agent with authorisation"),
}


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class TownshipFilterForm(FlaskForm):
    """Which township's approved cases to show (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    township = SelectField(_l("Township"), default=0, coerce=_int_or_zero)

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.township.choices = [SelectChoice(0, _l("All townships"))] + [
            SelectChoice(t.id, t.name) for t in townships]


class PrintBatchForm(FlaskForm):
    """Put the ticked approved cases into a new print batch."""

    cases = SelectMultipleField(
        _l("Approved cases"), coerce=int,
        validators=[DataRequired(message=_l("Tick at least one approved case."))])
    issue_date = DateField(_l("Issue date printed on the certificates"),
                           validators=[InputRequired(message=_l("Give the issue date."))])
    township = IntegerField(_l("Township"), default=0)
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def __init__(self, *args, case_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.cases.choices = [(i, str(i)) for i in case_ids]


class ConfirmForm(FlaskForm):
    """A button that confirms a step (CSRF only)."""


class CancelBatchForm(FlaskForm):
    """Cancel an open print batch, with the reason."""

    note = TextAreaField(_l("Why is the batch cancelled?"), validators=[
        DataRequired(message=_l("Write why the batch is cancelled.")), Length(max=2000)])


class ReprintForm(FlaskForm):
    """Record a reprint of one certificate, with the reason."""

    reason = TextAreaField(_l("Why is the certificate printed again?"), validators=[
        DataRequired(message=_l("Write why the certificate is printed again.")),
        Length(max=2000)])


class DispatchForm(FlaskForm):
    """Send a township's printed certificates."""

    township = SelectField(_l("Township"), coerce=_int_or_zero, validators=[
        DataRequired(message=_l("Choose a township."))])

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.township.choices = [SelectChoice(0, _l("— choose —"))] + [
            SelectChoice(t.id, f"{t.name} ({n})") for t, n in townships]


class ReceiptForm(FlaskForm):
    """The township counts the certificates in the parcel."""

    counted = IntegerField(_l("Number of certificates counted in the parcel"), validators=[
        InputRequired(message=_l("Type the number you counted.")),
        NumberRange(min=0, max=100_000, message=_l("Type a number from 0 upwards."))])
    note = TextAreaField(_l("Note (required when the count differs)"),
                         validators=[Length(max=2000)])


class HandoverForm(FlaskForm):
    """Hand one certificate to the person or their guardian or agent."""

    receiver_name = StringField(_l("Name of the person receiving it"), validators=[
        DataRequired(message=_l("Write who received the certificate.")), Length(max=60)])
    relation = SelectField(_l("Relation to the certificate holder"), choices=[
        SelectChoice(k, v) for k, v in HANDOVER_RELATION_LABELS.items()])
    id_last_digits = StringField(
        _l("Last 4 digits of the holder's ID number, read from the ID card"),
        validators=[DataRequired(message=_l("Type the last 4 digits of the ID number.")),
                    Regexp(r"^\s*[0-9]{3}[0-9Xx]\s*$",
                           message=_l("Type exactly 4 characters: digits, the last may be X."))])
    handed_on = DateField(_l("Date of handover"),
                          validators=[InputRequired(message=_l("Give the date."))])
    late_reason = TextAreaField(_l("Why is a past date entered? (required for a date before "
                                   "today)"), validators=[Length(max=2000)])
    old_collected = BooleanField(_l("The old certificate was collected"))
    receipt_photo = FileField(_l("Photo of the signed receipt (optional)"), validators=[
        FileAllowed(["jpg", "jpeg", "png"], _l("Choose a JPEG or PNG photo."))])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # A handover done on an earlier day is entered late, with a reason (one rule).
        return validate_done_date(self.handed_on, self.late_reason) and valid
