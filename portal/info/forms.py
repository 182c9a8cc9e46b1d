"""The city administrator's form of the public information page."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

BODY_MAX = 30_000


class InfoForm(FlaskForm):
    title = StringField(_l("Title"), validators=[
        DataRequired(message=_l("Write the title.")), Length(max=120)])
    summary = TextAreaField(_l("Summary (under the title, and what a shared link shows)"),
                            validators=[DataRequired(message=_l("Write the summary.")),
                                        Length(max=300)])
    hotline = StringField(_l("Hotline (phone number and hours)"), validators=[
        DataRequired(message=_l("Write the hotline.")), Length(max=60)])
    body = TextAreaField(_l("Text of the page (Markdown)"), validators=[
        DataRequired(message=_l("Write the text of the page.")),
        Length(max=BODY_MAX, message=_l("At most %(max)d characters."))])
