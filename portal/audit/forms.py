"""Filters of the audit log."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import Length, Optional, ValidationError


class AuditFilterForm(FlaskForm):
    """GET filters: nothing changes, so no CSRF token."""

    class Meta:
        csrf = False

    action = StringField(_l("Action starts with"), validators=[Optional(), Length(max=60)],
                         render_kw={"placeholder": "user."})
    township = SelectField(_l("Township"), validators=[Optional()])
    actor = StringField(_l("User (username)"), validators=[Optional(), Length(max=80)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])

    def __init__(self, townships, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.township.choices = [C("", _l("Any")), C("-", _l("City-wide (no township)"))] + [
            C(t.code, t.name) for t in townships
        ]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date must not be before the start date."))
