"""Forms of the campaign editor: the plan (with its phases and targets), copying to next year,
a concentrated day of a township, a hospital."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from portal.campaigns.services import CampaignData, PhaseData, TargetData
from portal.scheduling.forms import DayForm

# Blank rows offered below the filled ones, so that a phase or target can be added without
# scripts; a row left blank is ignored.
EXTRA_ROWS = 2
CODE = Regexp(r"^[a-z0-9][a-z0-9-]*$",
              message=_l("Use lower-case letters, digits and hyphens (e.g. mangshi-2021)."))


def _count(label):
    return IntegerField(label, default=0, validators=[
        InputRequired(_l("Enter a number (0 or more).")),
        NumberRange(min=0, max=10_000_000, message=_l("Enter a number between 0 and 10,000,000."))])


class PhaseRow(Form):
    """One phase: all of it, or nothing (a blank row)."""

    name = StringField(_l("Phase name"), validators=[Optional(), Length(max=100)])
    code = StringField(_l("Code"), validators=[Optional(), Length(max=40), CODE],
                       description=_l("publicity, survey, concentrated, issuance"))
    starts_on = DateField(_l("From"), validators=[Optional()])
    ends_on = DateField(_l("To"), validators=[Optional()])
    description = TextAreaField(_l("What happens"), validators=[Optional(), Length(max=2000)])

    def blank(self) -> bool:
        return not any((self.name.data, self.code.data, self.starts_on.data, self.ends_on.data,
                        (self.description.data or "").strip()))

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.blank():
            return ok
        required = {self.name: _l("Enter the phase's name."),
                    self.code: _l("Enter the phase's code."),
                    self.starts_on: _l("Enter the date the phase starts."),
                    self.ends_on: _l("Enter the date the phase ends.")}
        for f, message in required.items():
            if not f.data and not f.errors:
                f.errors = list(f.errors) + [message]
                ok = False
        return ok


class TargetRow(Form):
    kind = SelectField(_l("Kind of target"), default="holding_rate", choices=[
        SelectChoice("holding_rate", _l("Holding rate")),
        SelectChoice("poverty_renewal", _l("Every poverty-registered holder of an expired "
                                           "certificate renewed")),
    ])
    holding_rate = DecimalField(_l("Holding rate (%)"), places=2, validators=[
        Optional(), NumberRange(min=Decimal("0.01"), max=Decimal(100),
                                message=_l("Enter a percentage above 0 and at most 100."))])
    deadline = DateField(_l("By"), validators=[Optional()])

    def blank(self) -> bool:
        return self.holding_rate.data is None and not self.deadline.data

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if self.blank():
            return ok
        if (self.kind.data == "holding_rate" and self.holding_rate.data is None
                and not self.holding_rate.errors):
            self.holding_rate.errors = [_l("Enter the holding rate to reach.")]
            ok = False
        if not self.deadline.data and not self.deadline.errors:
            self.deadline.errors = [_l("Enter the deadline of the target.")]
            ok = False
        return ok


class CampaignForm(FlaskForm):
    """The plan of a campaign."""

    name = StringField(_l("Campaign name"), validators=[
        DataRequired(_l("Enter the campaign's name.")), Length(max=200)])
    code = StringField(_l("Code"), validators=[DataRequired(_l("Enter a short code.")),
                                               Length(max=40), CODE])
    document_number = StringField(_l("Issuing document"), validators=[Optional(),
                                                                      Length(max=80)])
    county = StringField(_l("County"), validators=[Optional(), Length(max=100)])
    starts_on = DateField(_l("Campaign starts"), validators=[
        DataRequired(_l("Enter the date the campaign starts."))])
    ends_on = DateField(_l("Campaign ends"), validators=[
        DataRequired(_l("Enter the date the campaign ends."))])
    historical = BooleanField(_l("Recorded as history (a past campaign: its dates may lie in "
                                 "the past)"))
    estimated_disabled = _count(_l("Estimated disabled persons"))
    certified_at_start = _count(_l("Certified at the start"))
    expiring_certificates = _count(_l("Certificates expiring"))
    poverty_registered_disabled = _count(_l("Poverty-registered disabled persons"))
    phases = FieldList(FormField(PhaseRow), min_entries=1)
    targets = FieldList(FormField(TargetRow), min_entries=1)

    def validate_certified_at_start(self, field):
        if (field.data or 0) > (self.estimated_disabled.data or 0):
            raise ValidationError(_l("Cannot exceed the estimated disabled persons."))

    def add_blank_rows(self) -> None:
        for _ in range(EXTRA_ROWS):
            self.phases.append_entry()
            self.targets.append_entry()

    def data_for_service(self) -> CampaignData:
        phases = [PhaseData(r.form.code.data.strip(), r.form.name.data.strip(),
                            r.form.starts_on.data, r.form.ends_on.data,
                            (r.form.description.data or "").strip())
                  for r in self.phases if not r.form.blank()]
        targets = [TargetData(Decimal(r.form.holding_rate.data) / 100
                              if r.form.kind.data == "holding_rate" else Decimal(1),
                              r.form.deadline.data, r.form.kind.data)
                   for r in self.targets if not r.form.blank()]
        return CampaignData(
            code=self.code.data.strip(), name=self.name.data.strip(),
            document_number=(self.document_number.data or "").strip(),
            county=(self.county.data or "").strip(), starts_on=self.starts_on.data,
            ends_on=self.ends_on.data, historical=bool(self.historical.data),
            estimated_disabled=self.estimated_disabled.data,
            certified_at_start=self.certified_at_start.data,
            expiring_certificates=self.expiring_certificates.data,
            poverty_registered_disabled=self.poverty_registered_disabled.data,
            phases=phases, targets=targets)

    def place_errors(self, problems) -> None:
        """Put the service's problems next to their fields ("phases-0-ends_on")."""
        for problem in problems:
            self.field_named(problem.field).errors.append(problem.message)

    def field_named(self, name: str):
        parts = name.split("-")
        if len(parts) == 3 and parts[0] in ("phases", "targets"):
            rows = getattr(self, parts[0])
            index = int(parts[1])
            while len(rows.entries) <= index:
                rows.append_entry()
            target = getattr(rows.entries[index].form, parts[2])
        else:
            target = getattr(self, name, None) or self.name
        if not isinstance(target.errors, list):
            target.errors = list(target.errors)
        return target


def fill(form: CampaignForm, data: CampaignData) -> None:
    """Fill an empty form from a plan (GET of the edit page, or a copy)."""
    for name in ("name", "code", "document_number", "county", "starts_on", "ends_on",
                 "historical", "estimated_disabled", "certified_at_start",
                 "expiring_certificates", "poverty_registered_disabled"):
        getattr(form, name).data = getattr(data, name)
    while form.phases.entries:
        form.phases.pop_entry()
    while form.targets.entries:
        form.targets.pop_entry()
    for phase in data.phases:
        form.phases.append_entry({"name": phase.name, "code": phase.code,
                                  "starts_on": phase.starts_on, "ends_on": phase.ends_on,
                                  "description": phase.description})
    for target in data.targets:
        form.targets.append_entry({
            "kind": target.kind, "deadline": target.deadline,
            "holding_rate": target.holding_rate * 100 if target.kind == "holding_rate" else None})


class CopyForm(FlaskForm):
    """Copy a campaign to a draft of the next one."""

    shift_days = IntegerField(_l("Move every date by this many days"), validators=[
        Optional(), NumberRange(min=-3660, max=3660,
                                message=_l("Enter a number of days between -3660 and 3660."))])
    new_start = DateField(_l("…or let the copy start on"), validators=[Optional()])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.shift_days.data is None and self.new_start.data is None:
            self.shift_days.errors = [_l("Enter a number of days or a new start date.")]
            return False
        if ok and self.shift_days.data is not None and self.new_start.data is not None:
            self.new_start.errors = [_l("Enter either a number of days or a new start date, "
                                        "not both.")]
            return False
        return ok


class CampaignDayForm(DayForm):
    """A township's concentrated day of a campaign (the township office's form, plus the
    township)."""

    township = SelectField(_l("Township"), coerce=int,
                           validators=[InputRequired(_l("Choose the township."))])

    def __init__(self, hospitals, townships, *args, **kwargs):
        super().__init__(hospitals, *args, **kwargs)
        self.township.choices = [(t.id, t.name) for t in townships]


class HospitalForm(FlaskForm):
    name = StringField(_l("Hospital"), validators=[
        DataRequired(_l("Enter the hospital's name.")), Length(max=100)])
