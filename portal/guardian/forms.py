"""Forms of the guardian portal and of inviting a guardian."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    Regexp,
)


class InviteForm(FlaskForm):
    """Who the link is for: the guardian's or agent's name, relation and phone."""

    guardian_name = StringField(
        _l("Name of the guardian or agent"),
        validators=[DataRequired(message=_l("Enter the guardian's name.")), Length(max=60)],
    )
    relation = StringField(
        _l("Relation to the applicant"),
        validators=[DataRequired(message=_l("Enter how they are related, e.g. mother, son "
                                            "or village agent.")), Length(max=30)],
    )
    phone = StringField(
        _l("Mobile phone (optional)"),
        validators=[Optional(), Regexp(r"^\+?[0-9 -]{7,20}$",
                                       message=_l("Enter a phone number of digits only."))],
    )


class RevokeForm(FlaskForm):
    """Revoke one invite of the case (its id travels in the form, never in the URL)."""

    invite_id = HiddenField(validators=[DataRequired()])


class SetPasswordForm(FlaskForm):
    """The guardian chooses a password for a new account."""

    password = PasswordField(
        _l("Choose a password"),
        validators=[DataRequired(message=_l("Choose a password.")), Length(max=128)],
    )
    confirm = PasswordField(
        _l("Type the password again"),
        validators=[DataRequired(message=_l("Type the password again.")),
                    EqualTo("password", message=_l("The two passwords are not the same."))],
    )


class SessionOnlyForm(FlaskForm):
    """Use the link once, for this browser session, without an account."""

    choice = HiddenField(default="session")


class JoinForm(FlaskForm):
    """Add the applicant to the account the guardian is logged in with."""

    choice = HiddenField(default="join")


class UploadForm(FlaskForm):
    """One file from the phone: taken with the camera now, or chosen from the phone."""

    document = SelectField(_l("What are you sending?"), choices=[],
                           validators=[InputRequired(message=_l("Choose what the file shows."))])
    # `capture` opens the phone's back camera directly; the second field picks a stored file
    # (a PDF cannot come from the camera).
    camera = FileField(_l("Take a photo or video now"),
                       render_kw={"accept": "image/*,video/*,application/pdf",
                                  "capture": "environment"})
    file = FileField(_l("Or choose a file on the phone (photo, video or PDF)"))

    def __init__(self, *args, documents=(), accept: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.document.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(code, label) for code, label in documents]
        self.file.render_kw = {"accept": accept or "image/*,video/*,application/pdf"}

    def chosen_file(self):
        """The file the guardian gave (camera first), or None."""
        for f in (self.camera, self.file):
            if f.data is not None and getattr(f.data, "filename", ""):
                return f.data
        return None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.chosen_file() is None:
            self.camera.errors = list(self.camera.errors) + [
                _l("Take a photo or video, or choose a file.")]
            return False
        return ok
