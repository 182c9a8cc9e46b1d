"""The walk-in application form: the full ID number first, then either the person found or the
new person's details, and the application (kind, how they are assessed, hospital booking)."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import (
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.cases.forms import kind_choices, path_choices
from portal.clock import local_today
from portal.domain.idcard import IdNumberError, parse
from portal.extensions import db
from portal.labels import LABELS
from portal.reference.models import Village
from portal.rosters.forms import ID_MESSAGES, ContactForm
from portal.rosters.models import CATEGORIES
from portal.rosters.services import PersonData
from portal.tenancy import Access, scoped
from portal.walkins.services import Application

# Fields asked only when the ID number is not registered yet.
PERSON_FIELDS = ("name", "village_id", "phone", "address", "mobility", "poverty_registered",
                 "guardian_name", "guardian_phone")
APPLICATION_FIELDS = ("kind", "path", "requested_category", "hospital_id", "booked_on", "note")


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _int_or_zero(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class WalkInForm(ContactForm):
    """A person applies on their own, at the township or for a hospital assessment."""

    id_number = StringField(
        _l("Full ID number"), filters=[lambda v: (v or "").strip().upper()],
        validators=[DataRequired(message=ID_MESSAGES["empty"]), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"})
    name = StringField(_l("Name"), filters=[lambda v: (v or "").strip()],
                       validators=[DataRequired(message=_l("Enter the person's name.")),
                                   Length(max=60)])
    village_id = SelectField(_l("Village"), coerce=_int_or_zero)

    kind = SelectField(_l("Kind of application"), choices=_options(kind_choices()))
    path = SelectField(_l("Assessment path"), choices=_options(path_choices(booking=True)))
    requested_category = SelectField(
        _l("Category applied for"), default="",
        choices=_options([("", _l("— not known yet —"))]
                         + [(c, LABELS["category"][c]) for c in CATEGORIES]))
    hospital_id = SelectField(_l("Designated hospital (hospital booking)"), coerce=_int_or_zero)
    booked_on = DateField(_l("Day of the assessment at the hospital"), validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Length(max=2000)])

    def __init__(self, *args, access: Access, hospitals=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parsed = None
        stmt = scoped(select(Village), access).order_by(Village.name)
        if not access.whole_township:
            stmt = stmt.where(Village.id.in_(sorted(access.village_ids) or [-1]))
        villages = [(v.id, v.name) for v in db.session.scalars(stmt)]
        self.village_id.choices = _options([(0, _l("— no village —"))] + villages)
        self.hospital_id.choices = _options(
            [(0, _l("— choose for a hospital booking —"))] + [(h.id, h.name) for h in hospitals])

    def validate_id_number(self, field):
        try:
            self.parsed = parse(field.data, local_today())
        except IdNumberError as exc:
            raise ValidationError(ID_MESSAGES.get(exc.code, ID_MESSAGES["format"])) from None

    def id_valid(self) -> bool:
        """Check the ID number only (the first step: find the person), and the CSRF token."""
        token_ok = self.csrf_token.validate(self) if "csrf_token" in self else True
        return self.id_number.validate(self, [type(self).validate_id_number]) and token_ok

    def validate_all(self, *, new_person: bool) -> bool:
        """Check the whole form; the person's fields only count for a new person."""
        self.validate()
        ignored = set() if new_person else set(PERSON_FIELDS)
        valid = not any(f.errors for f in self if f.name not in ignored)
        if self.path.data == "hospital":
            if not self.hospital_id.data:
                self.hospital_id.errors = [*self.hospital_id.errors,
                                           _l("Choose the designated hospital.")]
                valid = False
            if self.booked_on.data is None and not self.booked_on.errors:
                self.booked_on.errors = [*self.booked_on.errors,
                                         _l("Enter the day of the assessment.")]
                valid = False
        for name in ignored:
            self[name].errors = []
        return valid

    def application(self) -> Application:
        hospital = self.path.data == "hospital"
        return Application(
            kind=self.kind.data, path=self.path.data, note=(self.note.data or "").strip(),
            requested_category=self.requested_category.data or None,
            hospital_id=self.hospital_id.data or None if hospital else None,
            booked_on=self.booked_on.data if hospital else None)

    def person_data(self) -> PersonData:
        return PersonData(parsed=self.parsed, lists={}, fields={
            "name": self.name.data,
            "ethnicity": "",
            "village_id": self.village_id.data or None,
            "phone": self.phone.data or "",
            "address": (self.address.data or "").strip(),
            "mobility": self.mobility.data,
            "poverty_registered": bool(self.poverty_registered.data),
            "guardian_name": (self.guardian_name.data or "").strip(),
            "guardian_phone": self.guardian_phone.data or "",
        })
