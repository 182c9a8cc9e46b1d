"""Forms of the doctors' registry."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, InputRequired, Length

from portal.domain.grading import CATEGORIES
from portal.labels import LABELS


class CertificationForm(FlaskForm):
    """A doctor's certification: number, hospital, categories, validity."""

    number = StringField(
        _l("Certification number"),
        validators=[DataRequired(message=_l("Enter the certification number.")),
                    Length(max=40, message=_l("Use at most 40 characters."))],
        render_kw={"autocomplete": "off"},
    )
    hospital = SelectField(
        _l("Designated hospital"), coerce=int,
        validators=[InputRequired(message=_l("Choose the hospital."))],
    )
    categories = SelectMultipleField(
        _l("Categories the doctor may assess"),
        validators=[DataRequired(message=_l("Choose at least one category."))],
    )
    valid_from = DateField(
        _l("Valid from"), validators=[InputRequired(message=_l("Enter a date."))])
    valid_until = DateField(
        _l("Valid until"), validators=[InputRequired(message=_l("Enter a date."))])
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, hospitals, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hospital.choices = [C(h.id, h.name) for h in hospitals]
        self.categories.choices = [C(c, LABELS["category"][c]) for c in CATEGORIES]

