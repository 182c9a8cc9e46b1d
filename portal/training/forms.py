"""Forms of the training sessions: the session itself, and its results per attendee."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from portal.domain.grading import CATEGORIES
from portal.labels import LABELS


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of check boxes (easier than a multiple select on a phone)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(FlaskForm):
    """A training session: date, place, trainer, categories covered, doctors who attended."""

    held_on = DateField(_l("Date of the session"),
                        validators=[InputRequired(message=_l("Enter a date."))])
    place = StringField(
        _l("Place"),
        validators=[DataRequired(message=_l("Enter where the session was held.")),
                    Length(max=200, message=_l("Use at most 200 characters."))])
    trainer = StringField(
        _l("Trainer"),
        validators=[DataRequired(message=_l("Enter who gave the training.")),
                    Length(max=100, message=_l("Use at most 100 characters."))])
    categories = CheckboxesField(
        _l("Categories covered"),
        validators=[DataRequired(message=_l("Choose at least one category."))])
    attendees = CheckboxesField(
        _l("Doctors who attended"), coerce=int,
        validators=[DataRequired(message=_l("Choose at least one doctor who attended."))])
    note = TextAreaField(_l("Note"), validators=[
        Optional(), Length(max=2000, message=_l("Use at most 2000 characters."))])

    def __init__(self, doctors, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.categories.choices = [C(c, LABELS["category"][c]) for c in CATEGORIES]
        self.attendees.choices = [C(u.id, doctor_label(u)) for u in doctors]


def doctor_label(user) -> str:
    if user.display_name:
        return f"{user.display_name} ({user.username})"
    return user.username


RESULT_CHOICES = (C("", _l("Not recorded")), C("passed", _l("Passed")),
                  C("failed", _l("Failed")))


def result_field_name(user_id: int, category: str) -> str:
    return f"result_{user_id}_{category}"


def results_form(session):
    """A form with one choice (not recorded, passed, failed) per attendee and category."""

    class ResultsForm(FlaskForm):
        pass

    for attendee in session.attendees:
        for category in session.categories:
            result = attendee.result(category)
            default = "" if result is None else ("passed" if result.passed else "failed")
            # The template groups an attendee's fields under their name (a fieldset).
            setattr(ResultsForm, result_field_name(attendee.user_id, category), SelectField(
                LABELS["category"].get(category, category), choices=list(RESULT_CHOICES),
                default=default))
    return ResultsForm()
