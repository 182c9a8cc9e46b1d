"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. Group them by the area that raises them; a message may quote
the refusal's params as %(name)s. Nothing outside this module adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATALOGUE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
    # --- transfers between townships and out of the county (portal/transfers) -------------
    "transfer_same_township": _l("The person already belongs to this township: choose the "
                                 "township they move to."),
    "transfer_person_deceased": _l("The person is recorded as deceased and cannot be "
                                   "transferred."),
    "transfer_person_left_county": _l("The person moved out of the county on %(day)s and is "
                                      "closed here."),
    "transfer_open_case": _l("Case #%(case)s of this person is still open: finish or "
                             "withdraw it where it was begun before the person moves."),
    "transfer_pending_exists": _l("A transfer of this person is already waiting for the "
                                  "receiving township's answer."),
    "transfer_not_pending": _l("This transfer has already been answered or withdrawn."),
    "transfer_not_sender": _l("Only the sending township can withdraw this request."),
    "transfer_not_receiver": _l("Only the receiving township can answer this request."),
    "transfer_person_moved": _l("The person is no longer in the sending township: this "
                                "request cannot be accepted."),
    "transfer_reason_required": _l("Give the reason: the sending township reads it."),
    "transfer_destination_required": _l("Enter where the person moved to (province, city, "
                                        "county)."),
    "transfer_village_unknown": _l("Choose one of this township's villages."),
    # --- certificates expiring soon (portal/expiring) ---------------------------------------
    "renewal_open_case": _l("Case #%(case)s of this person is already open: follow it on "
                            "its page."),
    "renewal_person_deceased": _l("The person is recorded as deceased: no renewal."),
    "renewal_person_left_county": _l("The person moved out of the county: no renewal here."),
}
