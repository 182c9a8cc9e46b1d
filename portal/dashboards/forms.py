"""Forms of the dashboards: the city sets a township's estimate of disabled persons."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)


class EstimateForm(FlaskForm):
    """A new version of one township's estimated number of disabled persons."""

    township = SelectField(_l("Township"), coerce=int, validators=[DataRequired(
        message=_l("Choose the township."))])
    estimated_disabled = IntegerField(
        _l("Estimated disabled persons"),
        validators=[InputRequired(message=_l("Enter the estimated number of disabled persons.")),
                    NumberRange(min=0, max=10_000_000,
                                message=_l("Enter a whole number between 0 and 10,000,000."))],
    )
    note = StringField(_l("Source or reason"), validators=[
        Optional(), Length(max=500, message=_l("At most 500 characters."))])

    def __init__(self, townships, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.township.choices = [(0, _l("Choose…"))] + [(t.id, t.name) for t in townships]
