"""Forms of the user administration."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice as C
from wtforms.validators import DataRequired, Length, Optional, Regexp

from portal.auth.roles import ROLE_LABELS

PASSWORD_HELP = _l("At least 12 characters, not a common or easily guessed password. "
                   "Leave empty to have the portal make one; it is shown once. "
                   "The user must choose their own password at first login.")


class UserFilterForm(FlaskForm):
    """Search and filters of the user list (GET, nothing changes)."""

    class Meta:
        csrf = False

    q = StringField(_l("Username or name"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("Role"), validators=[Optional()])
    township = SelectField(_l("Township"), validators=[Optional()])
    status = SelectField(
        _l("Status"),
        choices=[C("", _l("Any")), C("active", _l("Active")), C("inactive", _l("Switched off")),
                 C("locked", _l("Locked"))],
        validators=[Optional()],
    )

    def __init__(self, townships, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [C("", _l("Any"))] + [C(r.value, label)
                                                  for r, label in ROLE_LABELS.items()]
        self.township.choices = [C("", _l("Any"))] + [C(t.code, t.name) for t in townships]


class CreateUserForm(FlaskForm):
    username = StringField(
        _l("Username"),
        validators=[
            DataRequired(message=_l("Enter a username.")),
            Length(min=3, max=80, message=_l("Use 3 to 80 characters.")),
            Regexp(r"^[A-Za-z0-9_.-]+$",
                   message=_l("Use only Latin letters, digits, dot, dash and underscore.")),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    display_name = StringField(
        _l("Display name"), validators=[Optional(), Length(max=100)]
    )
    password = PasswordField(
        _l("Initial password"), validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class ProfileForm(FlaskForm):
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(message=_l("Enter a display name.")), Length(max=100)],
    )


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"), validators=[Optional(), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class ConfirmForm(FlaskForm):
    """A POST button that only needs the CSRF token (activate, unlock, remove)."""


class MembershipForm(FlaskForm):
    role = SelectField(_l("Role"), validators=[DataRequired(message=_l("Choose a role."))])
    township = SelectField(_l("Township"), validators=[Optional()])
    villages = SelectMultipleField(_l("Villages"), coerce=int, validators=[Optional()])

    def __init__(self, townships, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [C("", _l("Choose…"))] + [
            C(r.value, label) for r, label in ROLE_LABELS.items()
        ]
        self.township.choices = [C("", _l("None (city-wide role)"))] + [
            C(t.code, t.name) for t in townships
        ]
        # Grouped by township; the browser script shows only the chosen township's group.
        self.villages.choices = [
            C(v.id, v.name, optgroup=t.name) for t in townships for v in t.villages
        ]
