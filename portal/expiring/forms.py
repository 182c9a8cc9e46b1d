"""Forms of the expiring list: the horizon and order (GET), the renewal's assessment path,
the day the expired list is counted on."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectChoice, SelectField, ValidationError
from wtforms.validators import NumberRange, Optional

from portal.cases.forms import path_choices
from portal.clock import local_today
from portal.expiring.services import DEFAULT_HORIZON_DAYS, MAX_HORIZON_DAYS

ORDERS = (("soonest", _l("Expiring soonest first")), ("latest", _l("Expiring latest first")))
EXPIRED_ORDERS = (("soonest", _l("Expired longest ago first")),
                  ("latest", _l("Expired most recently first")))


class ExpiringFilterForm(FlaskForm):
    """How far ahead to look, and the order (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    days = IntegerField(
        _l("Expiring within (days)"), default=DEFAULT_HORIZON_DAYS,
        validators=[Optional(), NumberRange(
            min=1, max=MAX_HORIZON_DAYS,
            message=_l("Enter a number of days from 1 to %(max)s.", max=MAX_HORIZON_DAYS))])
    order = SelectField(_l("Order"), default="soonest",
                        choices=[SelectChoice(k, v) for k, v in ORDERS])

    def horizon(self) -> int:
        """The days asked for, or the default when the field is empty or wrong."""
        if self.days.errors or not self.days.data:
            return DEFAULT_HORIZON_DAYS
        return self.days.data


class ExpiredFilterForm(FlaskForm):
    """The day the expired list counts on (default today), and the order (GET)."""

    class Meta:
        csrf = False

    as_of = DateField(_l("Expired and not renewed on"), validators=[Optional()])
    order = SelectField(_l("Order"), default="soonest",
                        choices=[SelectChoice(k, v) for k, v in EXPIRED_ORDERS])

    def validate_as_of(self, field):
        if field.data is None:
            return
        today = local_today()
        if not today - timedelta(days=MAX_HORIZON_DAYS) <= field.data \
                <= today + timedelta(days=MAX_HORIZON_DAYS):
            raise ValidationError(_l("Choose a day within two years of today."))

    def day(self):
        return self.as_of.data if self.as_of.data and not self.as_of.errors else local_today()


class RenewalForm(FlaskForm):
    """The one click of a row: a renewal case on the assessment path chosen (the person's
    mobility suggests it)."""

    path = SelectField(_l("Assessment path"),
                       choices=[SelectChoice(k, v) for k, v in path_choices()])
