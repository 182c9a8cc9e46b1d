"""Forms for people, their lists, the people filter and roster report submission."""
from __future__ import annotations

import re

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from wtforms import (
    BooleanField,
    DateField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.validators import DataRequired, Length, Optional

from portal.clock import local_today
from portal.domain.idcard import MASK_TAIL, IdNumberError, parse
from portal.extensions import db
from portal.labels import LABELS
from portal.reference.models import Village
from portal.rosters.models import (
    CATEGORIES,
    ENTRY_STATUSES,
    LIST_KINDS,
    MOBILITY,
    Person,
)
from portal.rosters.services import PersonData, find_id_owner
from portal.tenancy import Access, scoped

ID_MESSAGES = {
    "empty": _l("Enter the ID number."),
    "numeric": _l("This ID number was stored as a number (for example by Excel) and has lost "
                  "its last digits. Type it again from the ID card."),
    "format": _l("An ID number has 17 digits followed by a digit or the letter X."),
    "length": _l("An ID number has 18 characters (old numbers: 15 digits). Check for missing "
                 "or extra digits."),
    "area": _l("The first six digits are not a valid area code. Check the start of the number."),
    "birth_date": _l("The birth date in the ID number (digits 7 to 14) is not a real date."),
    "future_birth_date": _l("The birth date in the ID number is in the future. Check digits 7 "
                            "to 14."),
    "check_digit": _l("The last character does not match the rest of the number. One of the "
                      "digits was probably mistyped."),
}

ETHNICITIES = (
    ("汉族", _l("Han")),
    ("傣族", _l("Dai")),
    ("景颇族", _l("Jingpo")),
    ("德昂族", _l("De'ang")),
    ("阿昌族", _l("Achang")),
    ("傈僳族", _l("Lisu")),
)
OTHER = "other"

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"(0\d{2,3})-?(\d{7,8})")
CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff·]+")
LETTERS_RE = re.compile(r"[a-z][a-z ]*")
ID_TAIL_RE = re.compile(r"[0-9xX]+")
ID_TAIL_MAX = 6
# The one answer for an ID number registered outside the user's scope (see validate_id_number).
NOT_REGISTRABLE = _l("This ID number cannot be registered here. Please contact the city DPF "
                     "office.")
ID_FULL_LENGTH = 18


def normalise_phone(value: str | None) -> str:
    """Strip spaces and the +86 prefix; keep one dash between area code and landline number."""
    text = re.sub(r"[\s\u3000()（）]", "", value or "").replace("－", "-")
    text = text.removeprefix("+86")
    match = LANDLINE_RE.fullmatch(text)
    if match:
        return f"{match.group(1)}-{match.group(2)}"
    return text


def _phone_check(form, field):
    if field.data and not MOBILE_RE.fullmatch(field.data) and not LANDLINE_RE.fullmatch(
        field.data
    ):
        raise ValidationError(_l("Enter an 11-digit mobile number starting with 1, or a "
                                 "landline number with its area code (e.g. 0692-1234567)."))


def _options(pairs) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]


def _blank(choices, label=None) -> list[SelectChoice]:
    return _options([("", label or _l("— not recorded —")), *choices])


class ContactForm(FlaskForm):
    """How to reach a person and what the household is: the fields every form that records
    a person shares (the person form, the walk-in application)."""

    phone = StringField(_l("Phone"), filters=[normalise_phone], validators=[_phone_check],
                        render_kw={"inputmode": "tel", "autocomplete": "off"})
    address = StringField(_l("Address"), validators=[Length(max=200)])
    mobility = SelectField(_l("Mobility"),
                           choices=_options((m, LABELS["mobility"][m]) for m in MOBILITY))
    poverty_registered = BooleanField(_l("Poverty-registered household (建档立卡)"))
    guardian_name = StringField(_l("Guardian or agent"), validators=[Length(max=60)])
    guardian_phone = StringField(_l("Guardian's phone"), filters=[normalise_phone],
                                 validators=[_phone_check],
                                 render_kw={"inputmode": "tel", "autocomplete": "off"})


class PersonForm(ContactForm):
    """A person with their identity, contact, household facts and the lists they are on."""

    name = StringField(_l("Name"), filters=[lambda v: (v or "").strip()],
                       validators=[DataRequired(message=_l("Enter the person's name.")),
                                   Length(max=60)])
    id_number = StringField(
        _l("ID number"),
        validators=[DataRequired(message=ID_MESSAGES["empty"]), Length(max=40)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    ethnicity = SelectField(_l("Ethnicity"),
                            choices=_blank([*ETHNICITIES, (OTHER, _l("Other"))]))
    ethnicity_other = StringField(_l("Other ethnicity"), filters=[lambda v: (v or "").strip()],
                                  validators=[Length(max=20)])
    village_id = SelectField(_l("Village"), coerce=int)

    on_expired = BooleanField(_l("On the list of expired certificate holders (Attachment 1)"))
    certificate_number = StringField(_l("Old certificate number"),
                                     filters=[lambda v: (v or "").strip().upper()],
                                     validators=[Length(max=22)])
    certificate_category = SelectField(
        _l("Certificate category"),
        choices=_blank([(c, LABELS["category"][c]) for c in CATEGORIES]))
    certificate_grade = SelectField(
        _l("Certificate grade"), choices=_blank([(str(g), str(g)) for g in range(1, 5)]))
    certificate_expires_on = DateField(_l("Certificate valid until"), validators=[Optional()])

    on_suspected = BooleanField(_l("On the list of suspected disabled persons (Attachment 2)"))
    suspected_category = SelectField(
        _l("Suspected category"),
        choices=_blank([(c, LABELS["category"][c]) for c in CATEGORIES]))
    medical_records = SelectField(
        _l("Medical records available"),
        choices=_options([("", _l("Unknown")), ("yes", _l("Yes")), ("no", _l("No"))]))
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])

    def __init__(self, *args, access: Access, person: Person | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.access = access
        self.person = person
        self.parsed = None
        stmt = scoped(select(Village), access).order_by(Village.name)
        if not access.whole_township:
            stmt = stmt.where(Village.id.in_(sorted(access.village_ids) or [-1]))
        villages = db.session.scalars(stmt).all()
        choices = [(v.id, v.name) for v in villages]
        if access.whole_township:
            choices.insert(0, (0, _l("— no village —")))
        self.village_id.choices = _options(choices)
        if person is not None:
            # Editing: an empty ID field keeps the stored number, which is never sent to the
            # browser (it stays masked unless revealed).
            self.id_number.validators = [Length(max=40)]
            self.id_number.flags.required = False

    @classmethod
    def initial(cls, person: Person) -> dict:
        """Form values for editing `person`."""
        entries = {e.list_kind: e for e in person.roster_entries if e.status != "withdrawn"}
        suspected = entries.get("suspected")
        known = {value for value, _label in ETHNICITIES}
        records = suspected.medical_records if suspected else None
        return {
            "name": person.name,
            "id_number": "",
            "ethnicity": person.ethnicity if person.ethnicity in known or not person.ethnicity
            else OTHER,
            "ethnicity_other": "" if person.ethnicity in known else person.ethnicity,
            "village_id": person.village_id or 0,
            "phone": person.phone,
            "address": person.address,
            "mobility": person.mobility,
            "poverty_registered": person.poverty_registered,
            "guardian_name": person.guardian_name,
            "guardian_phone": person.guardian_phone,
            "on_expired": "expired" in entries,
            "certificate_number": person.certificate_number or "",
            "certificate_category": person.certificate_category or "",
            "certificate_grade": str(person.certificate_grade or ""),
            "certificate_expires_on": person.certificate_expires_on,
            "on_suspected": suspected is not None,
            "suspected_category": (suspected.suspected_category or "") if suspected else "",
            "medical_records": {True: "yes", False: "no"}.get(records, ""),
            "notes": suspected.notes if suspected else "",
        }

    def validate_id_number(self, field):
        if self.person is not None and not (field.data or "").strip():
            self.parsed = parse(self.person.id_number, local_today())
            return
        try:
            self.parsed = parse(field.data, local_today())
        except IdNumberError as exc:
            raise ValidationError(ID_MESSAGES.get(exc.code, ID_MESSAGES["format"])) from None
        owner = find_id_owner(self.parsed.number, self.person.id if self.person else None)
        if owner is None:
            return
        # Inside the user's scope the existing record is linked. Outside it (another township,
        # or a village a liaison does not look after) the answer is one and the same sentence,
        # naming nothing about the person or where they are: which of the two it is stays
        # unobservable. That the number cannot be registered is itself unavoidable, since it
        # exists once per deployment (DESIGN.md); the city office resolves it.
        visible = owner.township_id == self.access.township.id and db.session.execute(
            scoped(select(Person.id), self.access).where(Person.id == owner.person_id)
        ).first()
        if visible:
            url = url_for("rosters.show_person", person_id=owner.person_id)
            raise ValidationError(Markup(_l(
                'This ID number is already registered in this township: '
                '<a href="%(url)s">open the existing record</a>.')) % {"url": url})
        raise ValidationError(NOT_REGISTRABLE)

    def validate_ethnicity_other(self, field):
        if self.ethnicity.data == OTHER and not field.data:
            raise ValidationError(_l("Enter the ethnicity."))

    def validate_village_id(self, field):
        if not self.access.whole_township and not field.data:
            raise ValidationError(_l("Choose one of your villages."))

    def validate_on_suspected(self, field):
        if not field.data and not self.on_expired.data:
            raise ValidationError(_l("Tick at least one list the person belongs on."))

    def to_data(self) -> PersonData:
        """The validated values as service input."""
        ethnicity = self.ethnicity_other.data if self.ethnicity.data == OTHER else (
            self.ethnicity.data)
        expired = self.on_expired.data
        fields = {
            "name": self.name.data,
            "ethnicity": ethnicity or "",
            "village_id": self.village_id.data or None,
            "phone": self.phone.data or "",
            "address": (self.address.data or "").strip(),
            "mobility": self.mobility.data,
            "poverty_registered": bool(self.poverty_registered.data),
            "guardian_name": (self.guardian_name.data or "").strip(),
            "guardian_phone": self.guardian_phone.data or "",
        }
        if expired or self.person is None:
            fields.update({
                "certificate_number": self.certificate_number.data or None,
                "certificate_category": self.certificate_category.data or None,
                "certificate_grade": int(self.certificate_grade.data)
                if self.certificate_grade.data else None,
                "certificate_expires_on": self.certificate_expires_on.data,
            })
        lists: dict[str, dict] = {}
        if expired:
            lists["expired"] = {}
        if self.on_suspected.data:
            lists["suspected"] = {
                "suspected_category": self.suspected_category.data or None,
                "medical_records": {"yes": True, "no": False}.get(self.medical_records.data),
                "notes": (self.notes.data or "").strip(),
            }
        return PersonData(parsed=self.parsed, fields=fields, lists=lists)


class PersonFilterForm(FlaskForm):
    """Filters and search of the people list (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), filters=[lambda v: (v or "").strip()],
                    validators=[Length(max=40)])
    list_kind = SelectField(_l("List"), default="", choices=_blank(
        [(k, LABELS["list_kind_short"][k]) for k in LIST_KINDS], _l("All lists")))
    village = SelectField(_l("Village"), default=0, coerce=lambda v: int(v) if v else 0)
    status = SelectField(_l("Status"), default="", choices=_blank(
        [(s, LABELS["entry_status"][s]) for s in ENTRY_STATUSES], _l("Any status")))
    poverty = SelectField(_l("Poverty-registered"), default="", choices=_options([
        ("", _l("Any")), ("yes", _l("Yes")), ("no", _l("No"))]))
    mobility = SelectField(_l("Mobility"), default="", choices=_blank(
        [(m, LABELS["mobility"][m]) for m in MOBILITY], _l("Any")))

    def __init__(self, *args, villages=(), can_reveal: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.village.choices = _options(
            [(0, _l("All villages"))] + [(v.id, v.name) for v in villages])
        self.can_reveal = can_reveal
        self.search_mode: str | None = None
        self.search_term = ""

    @property
    def id_search_digits(self) -> int:
        """How many ID characters an ID search used that the lists do not show (0: none)."""
        if self.search_mode in ("id_tail", "id_full") and len(self.search_term) > MASK_TAIL:
            return len(self.search_term)
        return 0

    def validate_q(self, field):
        text = field.data
        if not text:
            return
        if CJK_RE.fullmatch(text):
            self.search_mode, self.search_term = "name", text
        elif LETTERS_RE.fullmatch(text.lower()):
            self.search_mode, self.search_term = "pinyin", text.lower()
        elif ID_TAIL_RE.fullmatch(text):
            self._id_search(text.upper())
        else:
            raise ValidationError(_l(
                "Search by name (Chinese characters), pinyin or initials (letters), or the "
                "last digits of the ID number."))

    def _id_search(self, text: str) -> None:
        # A masked ID in a list keeps its last MASK_TAIL characters in clear. A longer tail
        # search would confirm hidden characters one at a time (…1234, …01234, …201234), and
        # even a full-number search is an oracle: the birth date is on the person's page and
        # the check character in the list, leaving about ten candidates to try. So a search
        # with more characters than the list shows needs the reveal permission (and is an
        # audit event, see `list_persons`); without it only the shown tail can be searched.
        if len(text) > MASK_TAIL and not self.can_reveal:
            raise ValidationError(_l(
                "For privacy, your role may search by at most the last %(n)d characters of "
                "the ID number, as the lists show them.", n=MASK_TAIL))
        if len(text) == ID_FULL_LENGTH:
            self.search_mode, self.search_term = "id_full", text
            return
        if len(text) > ID_TAIL_MAX:
            raise ValidationError(_l(
                "For privacy, search by at most the last %(n)d characters of the ID number, "
                "or by the whole number.", n=ID_TAIL_MAX))
        self.search_mode, self.search_term = "id_tail", text


class RevealForm(FlaskForm):
    """An explicit, CSRF-protected request to see one person's ID number and phones."""

    reason = StringField(_l("Reason (optional)"), filters=[lambda v: (v or "").strip()],
                         validators=[Length(max=200, message=_l(
                             "Write the reason in at most 200 characters."))])


class EndGuardianshipForm(FlaskForm):
    """End a guardian's access to a person (the township office)."""

    reason = StringField(_l("Why the guardian's access ends"),
                         filters=[lambda v: (v or "").strip()],
                         validators=[DataRequired(message=_l("Say why the access ends.")),
                                     Length(max=200, message=_l(
                                         "Write the reason in at most 200 characters."))])


class SubmitReportForm(FlaskForm):
    """Submit the township's lists to the city."""

    note = TextAreaField(_l("Note to the city office"), validators=[Length(max=1000)])
    confirm = BooleanField(
        _l("I confirm the lists are complete and may be submitted to the city."),
        validators=[DataRequired(message=_l("Tick the box to confirm the submission."))])
