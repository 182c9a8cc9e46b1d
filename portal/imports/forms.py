"""Forms of the roster import pages."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import SelectChoice, SelectField, SubmitField
from wtforms.validators import InputRequired

from portal.labels import LABELS


class UploadForm(FlaskForm):
    """Which list the file holds, and the file."""

    list_kind = SelectField(
        _l("List"),
        choices=[SelectChoice(kind, LABELS["list_kind"][kind]) for kind in ("expired", "suspected")],
        validators=[InputRequired()],
    )
    file = FileField(
        _l("Excel file (.xlsx)"),
        validators=[
            FileRequired(_l("Choose the Excel file to upload.")),
            FileAllowed(["xlsx"], _l("Only Excel workbooks (.xlsx) can be imported. Save an "
                                     ".xls or .csv file from Excel as .xlsx first.")),
        ],
    )
    submit = SubmitField(_l("Upload and check"))


class ConfirmForm(FlaskForm):
    """Confirming the previewed import."""

    submit = SubmitField(_l("Import the valid rows"))


class CancelForm(FlaskForm):
    """Discarding an upload."""

    submit = SubmitField(_l("Discard this file"))
