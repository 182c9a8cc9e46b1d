"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. Group them by the area that raises them; a message may quote
the refusal's params as %(name)s. Nothing outside this module adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATALOGUE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
    # --- supervision (portal/supervision) -----------------------------------------------
    "supervision_action_required": _l("Say what the unit must do."),
    "supervision_due_in_future": _l("The due date must be after today."),
    "supervision_target_required": _l("Choose the township or name the unit."),
    "supervision_not_open": _l("This notice has already been answered or closed."),
    "supervision_answer_required": _l("Write what has been done."),
    "supervision_not_answered": _l("This notice has not been answered yet."),
    "supervision_reason_required": _l("Say why the answer is not enough."),
    "accountability_field_required": _l("This field is required."),
    "accountability_decided_in_future": _l("The decision date cannot be in the future."),
    # --- objections during the public notice (portal/objections) ---------------------------
    "objection_open": _l("An objection to this result has not been checked yet: uphold or "
                         "dismiss it, with the reason, before the case goes to the city."),
    "objection_use_case_page": _l("An objection is upheld on the case page, with the reason."),
    "objection_not_on_notice": _l("Objections are recorded while the result is on public "
                                  "notice."),
    "objection_notice_not_running": _l("This notice runs from %(start)s to %(end)s: "
                                       "objections are taken on this page only while it runs. "
                                       "Please contact the township disabled persons' "
                                       "federation."),
    "objection_unknown_case": _l("Choose a person listed on this notice."),
    "objection_already_decided": _l("This objection has already been decided."),
    "objection_received_in_future": _l("The day it was received cannot be in the future."),
    "objection_received_before_notice": _l("The day it was received cannot be before the "
                                           "notice started (%(start)s)."),
    "objection_attachment_type": _l("This file cannot be attached. Attach a photo (JPEG, PNG, "
                                    "WebP or HEIC) or a PDF."),
    "objection_attachment_too_large": _l("The attachment is larger than the limit of "
                                         "%(mb)s MB."),
    "objection_attachment_empty": _l("The attachment is empty. Please choose the file again."),
    "objection_store_unavailable": _l("The attachment cannot be stored just now, so nothing "
                                      "was saved. Try again in a few minutes, or send the "
                                      "objection without it."),
    "objection_step_refused": _l("The case could not be sent back: %(reason)s"),
}
