"""Every refusal's words, keyed by code: the one catalogue (see portal/refusals/__init__.py).

Codes are unique across the portal. The words are kept by theme in two parts, grouped inside by
the area that raises them (`oversight.py`, `casework.py`); this module joins them and refuses a
code defined twice. A message may quote the refusal's params as %(name)s. Nothing outside
these modules adds to or changes CATALOGUE.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.refusals.casework import CASEWORK
from portal.refusals.oversight import OVERSIGHT

ANYWHERE: dict[str, object] = {
    # --- anywhere -------------------------------------------------------------------------
    "not_allowed_now": _l("This step is not allowed now."),
}


def _joined(*parts: dict[str, object]) -> dict[str, object]:
    """One catalogue of its parts; a code defined in two parts is a programming error."""
    joined: dict[str, object] = {}
    for part in parts:
        twice = joined.keys() & part.keys()
        if twice:
            raise ValueError(f"refusal codes defined twice: {sorted(twice)}")
        joined.update(part)
    return joined


CATALOGUE: dict[str, object] = _joined(ANYWHERE, OVERSIGHT, CASEWORK)
