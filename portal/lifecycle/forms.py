"""Forms of a certificate's life: the three requests, a re-assessment, documents, the city's
decision, the old card handed back, the list of deceased persons."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from portal.cases.forms import path_choices
from portal.labels import LABELS
from portal.lifecycle.cancellations import FORM_REASONS
from portal.lifecycle.documents import DOCUMENT_KINDS
from portal.lifecycle.labels import LIFE_LABELS
from portal.lifecycle.models import REPLACEMENT_REASONS, REQUEST_KINDS, REQUEST_STATES


def _int_or_none(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


class RequestFilterForm(FlaskForm):
    """Filters of the request list (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), default="", choices=[SelectChoice("", _l("Any kind"))] + [
        SelectChoice(k, LIFE_LABELS["kind"][k]) for k in REQUEST_KINDS])
    state = SelectField(_l("State"), default="", choices=[SelectChoice("", _l("Any state"))] + [
        SelectChoice(s, LIFE_LABELS["state"][s]) for s in REQUEST_STATES])


class ChangeForm(FlaskForm):
    """The holder's details as they should read; what differs is the change."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    village = SelectField(_l("Village"), coerce=_int_or_none, validate_choice=False)
    guardian_name = StringField(_l("Guardian or agent"), validators=[Length(max=60)])
    guardian_phone = StringField(_l("Guardian's phone"), validators=[Length(max=30)])
    new_photo = BooleanField(_l("The holder brings a new photo"))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.village.choices = [SelectChoice(None, _l("No village"))] + [
            SelectChoice(v.id, v.name) for v in villages]

    def values(self) -> dict:
        return {"name": self.name.data, "address": self.address.data,
                "village": self.village.data, "guardian_name": self.guardian_name.data,
                "guardian_phone": self.guardian_phone.data}


class ReplacementForm(FlaskForm):
    reason = RadioField(_l("What happened to the card"), choices=[
        SelectChoice(r, LIFE_LABELS["replacement_reason"][r]) for r in REPLACEMENT_REASONS],
        validators=[InputRequired(message=_l("Choose what happened to the card."))])
    damaged_card_returned = BooleanField(_l("The damaged card was handed back"))
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])


class CancellationForm(FlaskForm):
    reason = SelectField(_l("Reason"), validators=[DataRequired(
        message=_l("Choose the reason."))])
    died_on = DateField(_l("Date of death"), validators=[Optional()])
    decision_document = StringField(_l("Decision document number"),
                                    validators=[Length(max=100)])
    assessment_case = SelectField(_l("Re-assessment case"), coerce=_int_or_none,
                                  validate_choice=False)
    card_collected = SelectField(_l("The card"), default="", choices=[
        SelectChoice("", _l("Not recorded yet")), SelectChoice("yes", _l("Handed back")),
        SelectChoice("no", _l("Not handed back"))])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def __init__(self, *args, fraud_allowed=False, cases=(), **kwargs):
        super().__init__(*args, **kwargs)
        reasons = [r for r in FORM_REASONS if fraud_allowed or r != "fraud"]
        self.reason.choices = [SelectChoice("", _l("Choose the reason"))] + [
            SelectChoice(r, LIFE_LABELS["cancellation_reason"][r]) for r in reasons]
        self.assessment_case.choices = [SelectChoice(None, _l("None"))] + [
            SelectChoice(c.id, f"#{c.id}") for c in cases]

    def collected(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.card_collected.data)


class ReassessmentForm(FlaskForm):
    path = SelectField(_l("Assessment path"), choices=[
        SelectChoice(value, label) for value, label in path_choices()])
    requested_category = SelectField(_l("Category to assess"), default="", choices=[
        SelectChoice("", _l("The certificate's category"))] + [
        SelectChoice(c, label) for c, label in LABELS["category"].items()])
    note = TextAreaField(_l("What changed"), validators=[
        DataRequired(message=_l("Say what changed in the holder's condition.")),
        Length(max=2000)])


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), choices=[
        SelectChoice(k, LIFE_LABELS["document"][k]) for k in DOCUMENT_KINDS])
    file = FileField(_l("File"), validators=[FileRequired(message=_l("Choose a file."))])


class DecisionForm(FlaskForm):
    note = TextAreaField(_l("Reason or note"), validators=[Length(max=2000)])


class WithdrawForm(FlaskForm):
    note = TextAreaField(_l("Why the request is withdrawn"), validators=[
        DataRequired(message=_l("Write the reason.")), Length(max=2000)])


class CollectedForm(FlaskForm):
    collected_on = DateField(_l("Handed back on"), validators=[
        InputRequired(message=_l("Enter the date."))])


class DeathListForm(FlaskForm):
    file = FileField(_l("List of deceased persons (.xlsx or .csv)"),
                     validators=[FileRequired(message=_l("Choose a file."))])
