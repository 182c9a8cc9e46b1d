"""One plain sentence per case state, for guardians (no office words, dates spelt out)."""
from __future__ import annotations

from flask_babel import format_date
from flask_babel import gettext as _

from portal.cases.models import Case


def _day(value) -> str:
    return format_date(value, "long") if value else ""


def status_sentence(case: Case) -> str:
    """Where the application stands, in one sentence a guardian understands."""
    state = case.state
    if state == "registered":
        return _("Waiting for the assessment: the township office will tell you when and where.")
    if state == "scheduled":
        return _("The assessment is arranged; see the appointment below.")
    if state in ("assessed", "second_review"):
        return _("The doctor has assessed; the result is being checked.")
    if state == "publicity":
        return _("The result is on public notice in the village until %(date)s.",
                 date=_day(case.publicity_ends_on))
    if state == "under_review":
        if case.review_due_on:
            return _("The city office is checking the application, by %(date)s at the latest.",
                     date=_day(case.review_due_on))
        return _("The city office is checking the application.")
    if state == "approved":
        return _("Approved: the certificate will now be printed.")
    if state == "printed":
        return _("The certificate is printed and will be sent to the township office.")
    if state == "dispatched":
        return _("The certificate is at the township office, ready to be handed over.")
    if state == "issued":
        return _("The certificate has been handed over.")
    if state == "not_qualified":
        if case.final:
            return _("The provincial expert committee decided that the standard is not met. "
                     "This decision is final.")
        if case.appeal_due_on:
            return _("The assessment found that the national standard is not met. You may "
                     "appeal to the city office until %(date)s.", date=_day(case.appeal_due_on))
        return _("The assessment found that the national standard is not met. The township "
                 "office will explain the result and how to appeal.")
    if state == "appealed":
        return _("You appealed: the city will arrange a new assessment.")
    if state == "withdrawn":
        return _("The application was withdrawn.")
    return _("The application is closed.")
