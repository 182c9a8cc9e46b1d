"""Forms for concentrated days, places on them, attendance and home visits."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    ValidationError,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.labels import LABELS
from portal.reference.models import DAY_STATUSES
from portal.rosters.models import CATEGORIES
from portal.scheduling.models import VISIT_OUTCOMES


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


DAY_STATUS_LABELS = {
    "planned": _l("Planned"),
    "held": _l("Held"),
    "cancelled": _l("Cancelled"),
}
ATTENDANCE_LABELS = {
    "expected": _l("Expected"),
    "attended": _l("Attended"),
    "no_show": _l("Did not come"),
}
VISIT_STATUS_LABELS = {
    "booked": _l("Booked"),
    "done": _l("Done"),
    "cancelled": _l("Cancelled"),
}
OUTCOME_LABELS = {
    "assessed": _l("Assessed"),
    "not_at_home": _l("Not at home"),
    "refused": _l("Refused the assessment"),
    "moved_to_video": _l("Moved to video assessment"),
}


def _capacity_field(category: str) -> IntegerField:
    return IntegerField(
        _l("Places: %(category)s", category=LABELS["category"][category]),
        default=0,
        validators=[InputRequired(_l("Enter a number of places (0 or more).")),
                    NumberRange(min=0, max=2000,
                                message=_l("Enter a number between 0 and 2000."))],
    )


class DayForm(FlaskForm):
    """A concentrated day: date, hospitals, places per category, status, note."""

    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter the date of the day."))])
    hospitals = SelectMultipleField(
        _l("Hospitals"), coerce=int,
        validators=[DataRequired(_l("Choose at least one designated hospital."))],
    )
    capacity_vision = _capacity_field("vision")
    capacity_hearing = _capacity_field("hearing")
    capacity_speech = _capacity_field("speech")
    capacity_physical = _capacity_field("physical")
    capacity_intellectual = _capacity_field("intellectual")
    capacity_mental = _capacity_field("mental")
    capacity_multiple = _capacity_field("multiple")
    status = SelectField(_l("Status"), choices=_options((s, DAY_STATUS_LABELS[s]) for s in DAY_STATUSES))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, hospitals, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hospitals.choices = _options((h.id, h.name) for h in hospitals)

    def capacity_fields(self):
        return [getattr(self, f"capacity_{c}") for c in CATEGORIES]

    def capacities(self) -> dict[str, int]:
        return {c: getattr(self, f"capacity_{c}").data or 0 for c in CATEGORIES}


class AssignForm(FlaskForm):
    """Choose the people (cases) to place on a day."""

    cases = SelectMultipleField(
        _l("People to add to this day"), coerce=int,
        validators=[DataRequired(_l("Choose at least one person."))],
    )

    def __init__(self, choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases.choices = _options(choices)


class MoveCaseForm(FlaskForm):
    """Move one person to another day."""

    case = SelectField(_l("Person"), coerce=int,
                       validators=[DataRequired(_l("Choose the person to move."))])
    target = SelectField(_l("New day"), coerce=int,
                         validators=[DataRequired(_l("Choose the day to move them to."))])

    def __init__(self, cases, days, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.case.choices = _options([(0, "")] + cases)
        self.target.choices = _options([(0, "")] + days)


class ReleaseCaseForm(FlaskForm):
    """Take one person off the day."""

    case = SelectField(_l("Person"), coerce=int,
                       validators=[DataRequired(_l("Choose the person to take off."))])

    def __init__(self, cases, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.case.choices = _options([(0, "")] + cases)


def attendance_form(cases, assignments) -> FlaskForm:
    """A form with one attendance choice per person of the day (field `case_<id>`)."""

    class AttendanceForm(FlaskForm):
        pass

    choices = _options(ATTENDANCE_LABELS.items())
    for case in cases:
        row = assignments.get(case.id)
        field = SelectField(
            _l("Attendance of %(name)s", name=case.person.name), choices=choices,
            default=row.attendance if row else "expected",
        )
        setattr(AttendanceForm, f"case_{case.id}", field)
    return AttendanceForm()


class VisitForm(FlaskForm):
    """Book a home visit: case, date, time window, address, team, notes."""

    case = SelectField(_l("Applicant"), coerce=int,
                       validators=[DataRequired(_l("Choose the applicant to visit."))])
    visit_date = DateField(_l("Date"), validators=[DataRequired(_l("Enter the visit date."))])
    starts_at = TimeField(_l("From"), validators=[DataRequired(_l("Enter the start time."))])
    ends_at = TimeField(_l("Until"), validators=[DataRequired(_l("Enter the end time."))])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=200)])
    doctors = SelectMultipleField(
        _l("Doctors"), coerce=int,
        validators=[DataRequired(_l("Choose at least one doctor for the team."))],
    )
    staff = SelectMultipleField(_l("Township staff"), coerce=int, validators=[Optional()])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=2000)])

    def __init__(self, cases, doctors, staff, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.case.choices = _options([(0, "")] + cases)
        self.doctors.choices = _options((u.id, u.display_name or u.username) for u in doctors)
        self.staff.choices = _options((u.id, u.display_name or u.username) for u in staff)

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The visit must end after it starts."))


class OutcomeForm(FlaskForm):
    """What happened at the visit."""

    outcome = SelectField(_l("Outcome"),
                          choices=_options([("", "")] + [(o, OUTCOME_LABELS[o])
                                                         for o in VISIT_OUTCOMES]),
                          validators=[DataRequired(_l("Choose the outcome of the visit."))])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class CancelVisitForm(FlaskForm):
    """Cancel a booked visit (only the CSRF token)."""


class CalendarForm(FlaskForm):
    """The week and team member shown by the visit calendar (a GET filter)."""

    class Meta:
        csrf = False

    week = DateField(_l("Week of"), validators=[Optional()])
    member = SelectField(_l("Team member"), coerce=int, validators=[Optional()])

    def __init__(self, members, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member.choices = _options([(0, _l("Everyone"))] + [
            (u.id, u.display_name or u.username) for u in members
        ])
