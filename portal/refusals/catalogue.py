"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. Group them by the area that raises them; a message may quote
the refusal's params as %(name)s. Nothing outside this module adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATALOGUE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
    # --- video: the link's state measured by the doctor's page ----------------------------
    "video_link_note_invalid": _l("The measure of the link could not be read."),
    "video_link_not_active": _l("This video session is not in progress."),
}
