"""Forms of the video area: scheduling, on-screen consent, and the one-button steps."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.fields import DateTimeLocalField
from wtforms.validators import DataRequired, InputRequired, Length


class ScheduleForm(FlaskForm):
    """When the video assessment takes place (local time of the campaign)."""

    scheduled_at = DateTimeLocalField(
        _l("Date and time of the video assessment"), format="%Y-%m-%dT%H:%M",
        validators=[InputRequired(_l("Enter the date and time."))],
    )


class ConsentForm(FlaskForm):
    """Consent to the recording of the session, with the name of the person consenting."""

    name = StringField(_l("Your full name"), validators=[
        DataRequired(_l("Type your name to give consent.")),
        Length(max=100, message=_l("At most 100 characters.")),
    ])
    agree = BooleanField(_l("I agree that this video assessment is recorded and kept as "
                            "evidence of the application."),
                         validators=[DataRequired(_l("Tick the box to give consent."))])


class StepForm(FlaskForm):
    """A button that takes one step (admit, capture, leave, end): only the CSRF token."""
