"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. Group them by the area that raises them; a message may quote
the refusal's params as %(name)s. Nothing outside this module adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

CATALOGUE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
    # --- background jobs (portal/jobs) ------------------------------------------------------
    "job_not_failed": _l("Only a failed job can be started again."),
    # --- roster imports (portal/imports) ----------------------------------------------------
    "import_not_retryable": _l("This upload can no longer be imported. Upload the file again."),
}
