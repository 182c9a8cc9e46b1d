"""Forms of the evidence area: upload, written statement, supersede."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

from portal.evidence.services import KIND_LABELS

# Kinds a person uploads; recordings and snapshots come from the video service.
UPLOAD_KINDS = ("photo", "video", "medical_record", "statement", "signed_form")


class UploadForm(FlaskForm):
    """One file; the file input comes last so that the body can be read as it streams."""

    kind = SelectField(_l("What is it?"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in UPLOAD_KINDS],
                       validators=[DataRequired()])
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])

    def __init__(self, *args, accept: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        # Photo is the default kind: the phone opens its camera; the script widens it.
        self.file.render_kw = {"accept": accept, "capture": "environment",
                               "data-evidence-file": "1"}
        self.kind.render_kw = {"data-evidence-kind": "1"}


class StatementForm(FlaskForm):
    """A written statement typed on the page, kept as a text object like any other evidence."""

    text = TextAreaField(_l("Statement"), validators=[
        DataRequired(_l("Write the statement.")), Length(max=20_000)])


class SupersedeForm(FlaskForm):
    reason = TextAreaField(_l("Why is it superseded?"), validators=[
        DataRequired(_l("Give the reason why this evidence is superseded.")),
        Length(max=1000)])
