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
}
