"""Forms of the cadres' work lists: assigning persons to a cadre, recording a contact."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.cadres.models import CONTACT_WAYS

CONTACT_LABELS = {"visit": _l("Visit"), "phone": _l("Phone call")}
STEP_LABELS = {
    "collect": _l("Certificate ready to collect at the township office"),
    "attend": _l("Date to attend"),
    "documents": _l("Documents missing"),
    "waiting": _l("Nothing to do: waiting for the township or the city"),
    "none": _l("No application open"),
}


class AssignForm(FlaskForm):
    """Persons (check boxes) and the cadre they are given to."""

    person_ids = SelectMultipleField(_l("Persons"), coerce=int, validators=[
        DataRequired(_l("Choose at least one person."))])
    cadre_id = SelectField(_l("Cadre or first secretary"), coerce=int, validators=[
        InputRequired(_l("Choose a poverty-relief cadre or first secretary of this township."))])

    def __init__(self, persons, cadres, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.person_ids.choices = [SelectChoice(value, label) for value, label in persons]
        self.cadre_id.choices = [SelectChoice(value, label) for value, label in cadres]


class ContactForm(FlaskForm):
    """A visit or a call with an assigned person."""

    contacted_on = DateField(_l("Date of the contact"), validators=[
        InputRequired(_l("Enter the date of the contact."))])
    how = RadioField(_l("How"), choices=[SelectChoice(w, CONTACT_LABELS[w]) for w in CONTACT_WAYS],
                     validators=[InputRequired(_l("Choose a visit or a phone call."))])
    note = TextAreaField(_l("What was said or done"), validators=[Optional(), Length(max=2000)])
