"""Forms of the objections area: the public page's objection, the one staff record, and the
decision on an objection."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from portal.clock import local_today

REASON_MIN, REASON_MAX, CONTACT_MAX = 5, 2000, 100

CHANNEL_LABELS = {
    "public_page": _l("The notice's public page"),
    "paper": _l("On paper (letter or written note)"),
    "phone": _l("By phone"),
    "in_person": _l("In person at the office"),
}
STATUS_LABELS = {
    "open": _l("Waiting to be checked"),
    "upheld": _l("Upheld: the case went back for a new assessment"),
    "dismissed": _l("Dismissed"),
    "superseded": _l("Closed: another objection sent the case back"),
}


def _reason_field(label):
    return TextAreaField(label, validators=[
        DataRequired(message=_l("Write the reason.")),
        Length(min=REASON_MIN, max=REASON_MAX,
               message=_l("Write between %(min)d and %(max)d characters."))])


def _contact_field():
    return StringField(_l("How to reach the person who objects (optional: name and phone)"),
                       validators=[Length(max=CONTACT_MAX)])


class PublicObjectionForm(FlaskForm):
    """An objection sent from the notice's public page."""

    case_id = RadioField(_l("Whose result do you object to?"), coerce=int, choices=[],
                         validators=[InputRequired(message=_l(
                             "Choose a person listed on this notice."))])
    reason = _reason_field(_l("Why do you object? Say what you know."))
    contact = StringField(_l("Your name and phone (optional, if you want an answer)"),
                          validators=[Length(max=CONTACT_MAX)])
    attachment = FileField(_l("A photo or PDF that supports it (optional)"))

    def __init__(self, cases, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.case_id.choices = [
            SelectChoice(case.id, _l("No. %(n)d: %(name)s", n=number, name=case.person.name))
            for number, case in enumerate(cases, start=1)]


class StaffObjectionForm(FlaskForm):
    """An objection received on paper, by phone or in person, recorded by staff."""

    channel = SelectField(_l("How it was received"), default="phone", choices=[
        SelectChoice(c, CHANNEL_LABELS[c]) for c in ("paper", "phone", "in_person")])
    received_on = DateField(_l("Day it was received"), default=local_today,
                            validators=[InputRequired(message=_l("Enter a date."))])
    reason = _reason_field(_l("What the objection says"))
    contact = _contact_field()
    attachment = FileField(_l("Scan or photo of the letter (optional)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="objection", **kwargs)


class DecisionForm(FlaskForm):
    """Dismiss or uphold one objection, with the reason (shown on the case's timeline)."""

    outcome = RadioField(_l("Decision"), choices=[
        SelectChoice("dismissed", _l("Dismiss: checked, not founded")),
        SelectChoice("upheld", _l("Uphold: send the case back for a new assessment"))],
        validators=[InputRequired(message=_l("Choose a decision."))])
    reason = _reason_field(_l("Reason of the decision (shown on the case's timeline)"))

    def __init__(self, objection_id: int, *args, **kwargs):
        super().__init__(*args, prefix=f"decide-{objection_id}", **kwargs)
