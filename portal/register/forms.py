"""Forms of the register: a holder added by hand, a holders file uploaded."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, DateField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, Optional

from portal.clock import local_today
from portal.domain.certificate import expiry_date
from portal.domain.idcard import IdNumberError, parse
from portal.imports.messages import reason_text
from portal.labels import LABELS
from portal.register.services import Holding, certificate_problem
from portal.rosters.forms import ID_MESSAGES, _options
from portal.rosters.models import CATEGORIES


def _blank(choices):
    return _options([("", _l("— choose —")), *choices])


class HolderForm(FlaskForm):
    """A certificate holder added to the register without putting them on a survey list."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=60)])
    id_number = StringField(_l("ID number"), validators=[DataRequired(), Length(max=30)],
                            render_kw={"autocomplete": "off"})
    certificate_number = StringField(
        _l("Certificate number"), validators=[DataRequired(), Length(max=30)],
        render_kw={"autocomplete": "off"})
    category = SelectField(_l("Disability category"),
                           choices=_blank([(c, LABELS["category"][c]) for c in CATEGORIES]),
                           validators=[DataRequired()])
    grade = SelectField(_l("Disability grade"),
                        choices=_blank([(str(g), str(g)) for g in range(1, 5)]),
                        validators=[DataRequired()])
    issued_on = DateField(_l("Issue date"), validators=[Optional()])
    expires_on = DateField(_l("Valid until"), validators=[Optional()])
    village = StringField(_l("Village"), validators=[Optional(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30)])
    poverty_registered = BooleanField(_l("Poverty-registered household"))

    parsed = None

    def validate_id_number(self, field):
        try:
            self.parsed = parse(field.data, local_today())
        except IdNumberError as exc:
            raise ValidationError(ID_MESSAGES.get(exc.code, ID_MESSAGES["format"])) from exc

    def validate_certificate_number(self, field):
        field.data = "".join((field.data or "").split()).upper()
        if self.parsed is None or not self.category.data or not self.grade.data:
            return
        code = certificate_problem(self.parsed.number, field.data, self.category.data,
                                   int(self.grade.data))
        if code:
            raise ValidationError(reason_text(code))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        expires, issued = self.expires_on.data, self.issued_on.data
        problem = None
        if expires is None and issued is None and not self.expires_on.errors:
            problem = reason_text("expiry_missing")
        elif expires and issued and issued > expires:
            problem = reason_text("issued_after_expiry")
        if problem:
            self.expires_on.errors = [*self.expires_on.errors, problem]
            return False
        return valid

    def holding(self) -> Holding:
        expires = self.expires_on.data or expiry_date(self.issued_on.data)
        return Holding(self.certificate_number.data, self.category.data, int(self.grade.data),
                       self.issued_on.data, expires)


class HolderImportForm(FlaskForm):
    file = FileField(_l("Excel workbook (.xlsx)"), validators=[
        FileRequired(_l("Choose a file.")),
        FileAllowed(["xlsx"], _l("Only .xlsx workbooks can be imported."))])
