"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. Group them by the area that raises them; a message may quote
the refusal's params as %(name)s. Nothing outside this module adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATALOGUE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
    # --- petitions (portal/petitions) -----------------------------------------------------
    "petition_wrong_state": _l("This petition is not at a stage where this step can be taken."),
    "petition_not_handler": _l("Only the officials of the unit handling this petition can take "
                               "this step."),
    "petition_reason_required": _l("Write the reason."),
    "petition_text_required": _l("Write the text."),
    "petition_received_future": _l("The day the petition was received cannot be in the "
                                   "future."),
    "petition_received_too_old": _l("This date is more than %(days)s days ago. Ask the city "
                                    "DPF to record a petition received that long ago."),
    "petition_received_late_reason": _l("The date is before today: write why it is entered "
                                        "late."),
    "petition_told_date": _l("The petitioner cannot have been told before the petition was "
                             "received, nor after today."),
    "petition_staff_to_township": _l("A petition about a township's own staff is handled by "
                                     "the city: it cannot go to a township DPF."),
    "petition_unit_township": _l("Choose the township whose DPF handles it."),
    "petition_unit_hospital": _l("Choose the hospital."),
    "petition_same_unit": _l("The petition is already with that unit."),
    "petition_escalate_top": _l("The city DPF is the highest unit in the portal; transfer the "
                                "petition instead."),
    "petition_extended_once": _l("The answer's time limit was already extended once; it cannot "
                                 "be extended again."),
    "petition_extension_days_min": _l("An extension is at least one day."),
    "petition_extension_days_max": _l("An extension is at most %(max)s days."),
    "petition_extension_too_late": _l("The answer is already overdue: an extension must be "
                                      "asked for before the time limit runs out."),
    "petition_extension_pending": _l("An extension is already waiting for approval."),
    "petition_extension_none": _l("No extension is waiting for approval."),
    "petition_approver_self": _l("The official who asked for the extension cannot approve it: "
                                 "another official must."),
    "petition_approver_role": _l("Only the approving official of the handling unit (the city "
                                 "DPF's administrator; the health coordinator for the health "
                                 "bureau and hospitals) may decide on this extension."),
    "petition_review_before_answer": _l("A review can be asked for only after the answer."),
    "petition_review_too_late": _l("A review could be asked for until %(until)s, %(days)s days "
                                   "after the answer; that time has passed."),
    "petition_review_same_official": _l("The review must be answered by another official than "
                                        "the one who gave the answer."),
    "petition_case_unknown": _l("No case with this number can be found here."),
    "petition_certificate_unknown": _l("No certificate with this number can be found here."),
    "petition_person_unknown": _l("No person with this ID number can be found here."),
    "petition_subject_mismatch": _l("The case, certificate and person given do not belong "
                                    "together."),
    "petition_attachment_empty": _l("The file is empty. Please choose the file again."),
    "petition_attachment_type": _l("This file type cannot be attached. Allowed: %(allowed)s."),
    "petition_attachment_too_large": _l("The file is larger than the limit of %(mb)s MB."),
    "petition_store_unavailable": _l("The file store cannot be reached just now, so nothing was "
                                     "saved. Please try again in a few minutes."),
}
