"""Forms of the cases area: filters, new case, bulk creation, workflow steps."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.cases.labels import CASE_LABELS
from portal.cases.models import ASSESSMENT_PATHS, CASE_KINDS, CASE_ORIGINS, CASE_STATES
from portal.clock import local_today
from portal.domain.certificate import CATEGORY_DIGITS, GRADES
from portal.labels import LABELS
from portal.late_entry import validate_done_date
from portal.rosters.models import ENTRY_STATUSES, LIST_KINDS, MOBILITY

# Steps whose note is required (the reason is part of the record).
NOTE_REQUIRED = frozenset({"refuse", "withdraw", "appeal", "record_final_not_qualified",
                           "record_final_qualified"})
# The fields each step shows besides the note.
STEP_FIELDS = {
    "start_publicity": ("starts_on", "late_reason"),
    "notify_not_qualified": ("notified_on", "late_reason"),
    "appeal": ("path",),
    "record_final_qualified": ("category", "grade"),
}
# Steps taken on the case page; the others belong to the scheduling and assessment pages.
PAGE_STEPS = ("start_publicity", "notify_not_qualified", "end_publicity", "approve", "refuse",
              "appeal", "record_final_qualified", "record_final_not_qualified", "close",
              "withdraw", "record_death")


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def kind_choices():
    return [(k, CASE_LABELS["kind"][k]) for k in CASE_KINDS]


def path_choices(booking: bool = False):
    """The assessment paths; a hospital booking (with its hospital and day) only where the
    form asks for them: the walk-in page, and the filters."""
    return [(p, CASE_LABELS["path"][p]) for p in ASSESSMENT_PATHS
            if booking or p != "hospital"]


class CaseFilterForm(FlaskForm):
    """Filters of the case list (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    state = SelectField(_l("State"), default="", choices=_choices(
        [("", _l("Any state"))] + [(s, CASE_LABELS["state"][s]) for s in CASE_STATES]))
    kind = SelectField(_l("Kind"), default="", choices=_choices(
        [("", _l("Any kind"))] + kind_choices()))
    path = SelectField(_l("Assessment path"), default="", choices=_choices(
        [("", _l("Any path"))] + path_choices(booking=True)))
    origin = SelectField(_l("Origin"), default="", choices=_choices(
        [("", _l("Any origin"))] + [(o, CASE_LABELS["origin"][o]) for o in CASE_ORIGINS]))
    overdue = SelectField(_l("Deadline"), default="", choices=_choices(
        [("", _l("Any")), ("yes", _l("Overdue only"))]))
    village = SelectField(_l("Village"), default=0, coerce=_int_or_zero)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.village.choices = _choices(
            [(0, _l("All villages"))] + [(v.id, v.name) for v in villages])


class NewCaseForm(FlaskForm):
    """Open a case for one person."""

    kind = SelectField(_l("Kind of application"), choices=_choices(kind_choices()))
    path = SelectField(_l("Assessment path"), choices=_choices(path_choices()))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class EntryFilterForm(FlaskForm):
    """Filters of the roster selection for bulk creation (GET, no CSRF)."""

    class Meta:
        csrf = False

    list_kind = SelectField(_l("List"), default="", choices=_choices(
        [("", _l("All lists"))] + [(k, LABELS["list_kind_short"][k]) for k in LIST_KINDS]))
    status = SelectField(_l("Status"), default="open", choices=_choices(
        [("", _l("Any status"))] + [(s, LABELS["entry_status"][s]) for s in ENTRY_STATUSES]))
    village = SelectField(_l("Village"), default=0, coerce=_int_or_zero)
    poverty = SelectField(_l("Poverty-registered"), default="", choices=_choices(
        [("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))]))
    mobility = SelectField(_l("Mobility"), default="", choices=_choices(
        [("", _l("Any"))] + [(m, LABELS["mobility"][m]) for m in MOBILITY]))

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.village.choices = _choices(
            [(0, _l("All villages"))] + [(v.id, v.name) for v in villages])


class BulkCaseForm(FlaskForm):
    """Create one case for each ticked roster entry."""

    entries = SelectMultipleField(
        _l("Persons"), coerce=int,
        validators=[DataRequired(message=_l("Tick at least one person."))])
    kind = SelectField(_l("Kind of application"), default="", choices=_choices(
        [("", _l("By list: renewal for expired holders, new for suspected persons"))]
        + kind_choices()))
    path = SelectField(_l("Assessment path"), choices=_choices(path_choices()))

    def __init__(self, *args, entry_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.entries.choices = [(i, str(i)) for i in entry_ids]


class StepForm(FlaskForm):
    """One workflow step with its note and the data the step needs."""

    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])
    starts_on = DateField(_l("First day of the notice"), validators=[Optional()])
    notified_on = DateField(_l("Day the person was told"), validators=[Optional()])
    late_reason = TextAreaField(_l("Why is a past date entered? (required for a date before "
                                   "today)"), validators=[Length(max=2000)])
    path = SelectField(_l("Path of the re-assessment"), default="records",
                       choices=_choices(path_choices()))
    category = SelectField(_l("Category decided"), default="", choices=_choices(
        [("", _l("— choose —"))] + [(c, LABELS["category"][c]) for c in CATEGORY_DIGITS]))
    grade = SelectField(_l("Grade decided"), default="", choices=_choices(
        [("", _l("— choose —"))] + [(str(g), str(g)) for g in GRADES]))

    def __init__(self, action: str, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = action
        # Several step forms share a page: their fields get ids of their own (the names stay
        # plain so that the CSRF token is the usual one).
        for f in self:
            if f.name != "csrf_token":
                f.id = f"{action}-{f.name}"
                f.label.field_id = f.id
        self.today = today or local_today()
        # An empty date means today.
        self.starts_on.data = self.starts_on.data or self.today
        self.notified_on.data = self.notified_on.data or self.today

    def shown_fields(self):
        """The fields this step shows, note last."""
        return [self[name] for name in STEP_FIELDS.get(self.action, ())] + [self.note]

    @property
    def note_required(self) -> bool:
        return self.action in NOTE_REQUIRED

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.note_required and not (self.note.data or "").strip():
            self.note.errors = [*self.note.errors, _l("Write a note explaining this step.")]
            valid = False
        if self.action == "start_publicity":
            valid = validate_done_date(self.starts_on, self.late_reason, today=self.today,
                                       future_allowed=True) and valid
        if self.action == "notify_not_qualified":
            if self.notified_on.data is None:
                self.notified_on.errors = [*self.notified_on.errors,
                                           _l("Enter the day the person was told.")]
                valid = False
            else:
                valid = validate_done_date(self.notified_on, self.late_reason,
                                           today=self.today) and valid
        if self.action == "record_final_qualified":
            for f, message in ((self.category, _l("Choose the category.")),
                               (self.grade, _l("Choose the grade."))):
                if not f.data:
                    f.errors = [*f.errors, message]
                    valid = False
        return valid

    def step_data(self) -> dict:
        """Keyword arguments for `take_step`."""
        data: dict = {"note": (self.note.data or "").strip()}
        if self.action == "start_publicity":
            data["starts_on"] = self.starts_on.data
            data["late_reason"] = self.late_reason.data or ""
        elif self.action == "notify_not_qualified":
            data["notified_on"] = self.notified_on.data
            data["late_reason"] = self.late_reason.data or ""
        elif self.action == "record_final_qualified":
            data["category"], data["grade"] = self.category.data, int(self.grade.data)
        return data


class AssignDoctorForm(FlaskForm):
    """Choose the certified doctor who assesses the case."""

    doctor_id = SelectField(_l("Assessing doctor"), coerce=int,
                            validators=[DataRequired(message=_l("Choose a doctor."))])

    def __init__(self, doctors, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.doctor_id.choices = [(0, _l("Choose…"))] + [
            (d.id, d.display_name or d.username) for d in doctors
        ]
