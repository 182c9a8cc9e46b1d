"""Forms of the organised batches and the assistance units' registry."""
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
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)

from portal.batches.models import BATCH_CATEGORIES, BATCH_STATUSES
from portal.labels import LABELS


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


ORGANISER_LABELS = {"township": _l("The township"), "unit": _l("An assistance unit")}
STATUS_LABELS = {"planned": _l("Planned"), "held": _l("Held"), "cancelled": _l("Cancelled")}
MEMBER_LABELS = {
    "invited": _l("On the list"),
    "attended": _l("Attended"),
    "absent": _l("Absent"),
    "moved": _l("Moved to a later batch"),
}
# Mental illness: only without hospital records (with records, the records path).
CATEGORY_LABELS = {c: LABELS["category"][c] for c in BATCH_CATEGORIES}


class UnitForm(FlaskForm):
    """An assistance unit: name, contact, the townships it helps."""

    name = StringField(_l("Name of the unit"), validators=[
        DataRequired(_l("Enter the name of the unit.")), Length(max=120)])
    contact = StringField(_l("Contact person and telephone"),
                          validators=[Optional(), Length(max=200)])
    townships = SelectMultipleField(_l("Townships it helps"), coerce=int, validators=[
        DataRequired(_l("Choose at least one township."))])

    def __init__(self, townships=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if townships is None:
            del self.townships  # a township's office registers a unit that helps it
        else:
            self.townships.choices = _options((t.id, t.name) for t in townships)


class BatchForm(FlaskForm):
    """A new batch: who organises it, category, hospital, date, places, transport, companions."""

    organiser = SelectField(_l("Organised by"), choices=_options(ORGANISER_LABELS.items()))
    unit = SelectField(_l("Assistance unit"), coerce=int, validators=[Optional()])
    townships = SelectMultipleField(_l("Townships of the batch"), coerce=int,
                                    validators=[Optional()])
    category = SelectField(_l("Disability category"), choices=_options(CATEGORY_LABELS.items()))
    hospital = SelectField(_l("Designated hospital"), coerce=int, validators=[
        DataRequired(_l("Choose the designated hospital."))])
    held_on = DateField(_l("Date at the hospital"), validators=[
        DataRequired(_l("Enter the date of the batch."))])
    places = IntegerField(_l("Places the hospital gives that day"), validators=[
        InputRequired(_l("Enter the number of places (1 or more).")),
        NumberRange(min=1, max=500, message=_l("Enter a number between 1 and 500."))])
    transport = TextAreaField(_l("Transport"), validators=[Optional(), Length(max=2000)])
    companions = TextAreaField(_l("Companions"), validators=[Optional(), Length(max=2000)])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])

    def __init__(self, hospitals, units, townships=None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.hospital.choices = _options([(0, "")] + [(h.id, h.name) for h in hospitals])
        self.unit.choices = _options([(0, "")] + [(u.id, u.name) for u in units])
        if townships is None:
            del self.townships  # a township's office organises for itself only
        else:
            self.townships.choices = _options((t.id, t.name) for t in townships)


class EditBatchForm(FlaskForm):
    """Places, transport, companions, note and status of a batch."""

    places = BatchForm.places
    transport = BatchForm.transport
    companions = BatchForm.companions
    note = BatchForm.note
    status = SelectField(_l("Status"), choices=_options(
        (s, STATUS_LABELS[s]) for s in BATCH_STATUSES))


class AddForm(FlaskForm):
    """Choose the persons (cases) to put on the batch."""

    cases = SelectMultipleField(_l("People to add to this batch"), coerce=int, validators=[
        DataRequired(_l("Choose at least one person."))])

    def __init__(self, choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.cases.choices = _options(choices)


class MoveForm(FlaskForm):
    """Move an absent person to a later batch."""

    member = SelectField(_l("Absent person"), coerce=int,
                         validators=[DataRequired(_l("Choose the person to move."))])
    target = SelectField(_l("Later batch"), coerce=int,
                         validators=[DataRequired(_l("Choose the batch to move them to."))])

    def __init__(self, members, batches, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.member.choices = _options([(0, "")] + members)
        self.target.choices = _options([(0, "")] + batches)


def attendance_form(members) -> FlaskForm:
    """One attended / absent choice per person of the batch (field `member_<id>`)."""

    class AttendanceForm(FlaskForm):
        pass

    choices = _options((k, MEMBER_LABELS[k]) for k in ("invited", "attended", "absent"))
    for member in members:
        if member.status == "moved":
            continue
        setattr(AttendanceForm, f"member_{member.id}", SelectField(
            _l("Attendance of %(name)s", name=member.case.person.name), choices=choices,
            default=member.status))
    return AttendanceForm()
