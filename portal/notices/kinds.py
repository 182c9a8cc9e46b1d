"""What a notice may say: one entry per kind of event, with the only values it may carry.

A message says what happened and what to do, never who the person is beyond the greeting:
no ID number, no diagnosis, no category or grade (PIPL: the minimum). `notify()` refuses a
value that is not named here, and any value that looks like an ID number.

The words are msgids like every interface string; messages are always rendered in Chinese,
and the SMS provider holds the same words as registered templates (docs/notices.md lists them
with the settings that name their template codes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Kind:
    text: object  # a lazy msgid with %(name)s for each param
    params: tuple[str, ...]
    # The setting that names the provider's registered template for this kind.
    template_setting: str


KINDS: dict[str, Kind] = {
    "day_invitation": Kind(
        _l("Please attend the disability assessment on %(date)s at %(place)s. "
           "Bring: %(bring)s."), ("date", "place", "bring"), "SMS_TEMPLATE_DAY_INVITATION"),
    "home_visit_booked": Kind(
        _l("Assessment doctors will visit your home on %(date)s. Please keep the phone "
           "switched on."), ("date",), "SMS_TEMPLATE_HOME_VISIT"),
    "video_assessment": Kind(
        _l("Video assessment on %(time)s. Open this link at that time: %(link)s"),
        ("time", "link"), "SMS_TEMPLATE_VIDEO"),
    "publicity_started": Kind(
        _l("The assessment result is on public notice at the township from %(start)s to "
           "%(end)s."), ("start", "end"), "SMS_TEMPLATE_PUBLICITY"),
    "result_ready": Kind(
        _l("The assessment result is ready: ask at the township office. If you disagree you "
           "may ask for a re-assessment by %(appeal_by)s."), ("appeal_by",),
        "SMS_TEMPLATE_RESULT"),
    "certificate_ready": Kind(
        _l("The certificate is ready. Please collect it at %(place)s; bring the applicant's "
           "ID card."), ("place",), "SMS_TEMPLATE_CERTIFICATE_READY"),
    "petition_accepted": Kind(
        _l("Your petition %(reference)s has been accepted; the answer is due by %(due)s."),
        ("reference", "due"), "SMS_TEMPLATE_PETITION_ACCEPTED"),
    "petition_answered": Kind(
        _l("Your petition %(reference)s has been answered. Ask at %(place)s to read the "
           "answer."), ("reference", "place"), "SMS_TEMPLATE_PETITION_ANSWERED"),
    "certificate_expiring": Kind(
        _l("The disability certificate expires on %(date)s. Please apply for renewal at the "
           "township office."), ("date",), "SMS_TEMPLATE_EXPIRING"),
}

# An 18-character ID number, or the 15-digit old form, anywhere in a value.
_ID_LIKE = re.compile(r"(?<![0-9])([0-9]{17}[0-9Xx]|[0-9]{15})(?![0-9])")


class NoticeNotAllowed(ValueError):
    """A programming error: a notice asked to carry something it may not."""


def check_params(kind: str, params: dict) -> dict:
    """The params, as strings, when `kind` exists and they are exactly the allowed ones."""
    spec = KINDS.get(kind)
    if spec is None:
        raise NoticeNotAllowed(f"no notice kind {kind!r}")
    if set(params) != set(spec.params):
        raise NoticeNotAllowed(f"{kind} carries {sorted(spec.params)}, not {sorted(params)}")
    values = {name: str(value) for name, value in params.items()}
    for name, value in values.items():
        if _ID_LIKE.search(value):
            raise NoticeNotAllowed(f"{kind}.{name} looks like an ID number")
    return values


def render(kind: str, params: dict) -> str:
    """The message in Chinese (the people it reaches read Chinese)."""
    with force_locale("zh_Hans_CN"):
        return str(KINDS[kind].text) % params
