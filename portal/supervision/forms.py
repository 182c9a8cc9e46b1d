"""Forms of supervision: issue a notice, answer it, accept or return the answer, record
accountability."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.fields import MonthField
from wtforms.validators import DataRequired, Length, Optional

from portal.supervision.sources import SOURCES

REQUIRED = _l("This field is required.")


class IssueForm(FlaskForm):
    target = SelectField(_l("To"), validators=[DataRequired(message=_l("Choose who it is to."))])
    unit_name = StringField(_l("Unit name (health bureau or hospital)"),
                            validators=[Optional(), Length(max=100)])
    source = SelectField(_l("Overdue list"))
    required_action = TextAreaField(_l("Action required"), validators=[
        DataRequired(message=REQUIRED), Length(max=2000)])
    due_on = DateField(_l("Answer due by"), validators=[DataRequired(
        message=_l("Enter a date."))])

    def __init__(self, townships, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.target.choices = ([("", _l("Choose…"))]
                               + [(f"township:{t.code}", t.name) for t in townships]
                               + [("health_bureau", _l("Health bureau")),
                                  ("hospital", _l("A designated hospital"))])
        self.source.choices = [(key, source.label) for key, source in SOURCES.items()] + [
            ("other", _l("Other"))]


class AnswerForm(FlaskForm):
    answer = TextAreaField(_l("What has been done"), validators=[
        DataRequired(message=REQUIRED), Length(max=4000)])


class ReturnForm(FlaskForm):
    reason = TextAreaField(_l("Why the answer is not enough"), validators=[
        DataRequired(message=REQUIRED), Length(max=2000)])
    due_on = DateField(_l("New due date"), validators=[DataRequired(
        message=_l("Enter a date."))])


class AccountabilityForm(FlaskForm):
    township = SelectField(_l("Township (if any)"), coerce=int)
    unit_name = StringField(_l("Unit"), validators=[DataRequired(message=REQUIRED),
                                                    Length(max=100)])
    person_name = StringField(_l("Person held accountable (if any)"),
                              validators=[Optional(), Length(max=60)])
    finding = TextAreaField(_l("Finding"), validators=[DataRequired(message=REQUIRED),
                                                       Length(max=4000)])
    measure = TextAreaField(_l("Measure taken"), validators=[DataRequired(message=REQUIRED),
                                                             Length(max=2000)])
    decided_on = DateField(_l("Decided on"), validators=[DataRequired(
        message=_l("Enter a date."))])
    document_number = StringField(_l("Document number"), validators=[
        DataRequired(message=REQUIRED), Length(max=60)])

    def __init__(self, townships, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.township.choices = [(0, _l("None"))] + [(t.id, t.name) for t in townships]


class ReportMonthForm(FlaskForm):
    """Which month's reports to offer (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    month = MonthField(_l("Month"), validators=[Optional()])
