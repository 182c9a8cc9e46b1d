"""Forms of the transfers: a request to another township, a move out of the county, the
receiving township's answer, the sender's withdrawal, and the list's filters."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.transfers.models import TRANSFER_STATES

TRANSFER_LABELS = {
    "kind": {"within_county": _l("To another township of the county"),
             "out_of_county": _l("Out of the county")},
    "state": {"requested": _l("Waiting for the receiving township"),
              "accepted": _l("Accepted"), "declined": _l("Declined"),
              "withdrawn": _l("Withdrawn"), "left_county": _l("Moved out of the county")},
    "direction": {"": _l("Sent and received"), "outgoing": _l("Sent by this township"),
                  "incoming": _l("Received by this township")},
}
STATE_TONES = {"requested": "warning", "accepted": "success", "declined": "danger",
               "withdrawn": "secondary", "left_county": "dark"}


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class TransferRequestForm(FlaskForm):
    """The sending township asks another township of the county to take the person."""

    to_township = SelectField(_l("Township the person moves to"), coerce=_int_or_zero,
                              validate_choice=False)
    new_address = StringField(_l("New address"), validators=[Optional(), Length(max=200)])
    reason = TextAreaField(_l("Reason for the move"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, townships=(), own=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.to_township.choices = [SelectChoice(0, _l("— choose —"))] + [
            SelectChoice(t.id, t.name) for t in townships if own is None or t.id != own.id]

    def validate_to_township(self, field):
        if not field.data or field.data not in {c.value for c in field.choices}:
            raise ValidationError(_l("Choose the township the person moves to."))


class LeftCountyForm(FlaskForm):
    """The person moved out of the county: closed here, the destination recorded."""

    destination = StringField(_l("Where the person moved to (province, city, county)"),
                              validators=[DataRequired(), Length(max=200)])
    reason = TextAreaField(_l("Reason or note"), validators=[Optional(), Length(max=500)])
    confirm = BooleanField(
        _l("I confirm the person has left the county; their record here is closed."),
        validators=[DataRequired(_l("Tick the box to confirm the move out of the county."))])


class AcceptForm(FlaskForm):
    """The receiving township takes the person, into one of its villages."""

    village = SelectField(_l("Village in this township"), coerce=_int_or_zero, default=0,
                          validate_choice=False)
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.village.choices = [SelectChoice(0, _l("— not known yet —"))] + [
            SelectChoice(v.id, v.name) for v in villages]


class DeclineForm(FlaskForm):
    """The receiving township declines, with the reason."""

    reason = TextAreaField(_l("Reason for declining"),
                           validators=[DataRequired(), Length(max=500)])


class WithdrawForm(FlaskForm):
    """The sending township takes its request back."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=500)])


class TransferFilterForm(FlaskForm):
    """Filters of the transfer list (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    direction = SelectField(_l("Direction"), default="", choices=[
        SelectChoice(k, v) for k, v in TRANSFER_LABELS["direction"].items()])
    state = SelectField(_l("State"), default="", choices=[SelectChoice("", _l("Any state"))] + [
        SelectChoice(s, TRANSFER_LABELS["state"][s]) for s in TRANSFER_STATES])
