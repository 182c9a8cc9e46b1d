"""What petitions add to other areas' pages, through two template functions and one include each:

- `petition_card()`: the counts of the city dashboard's card (templates/petitions/_city_card.html,
  included by templates/dashboards/city.html);
- `petitions_about(case=..., certificate=...)`: the open petitions a case's or a certificate's
  page names (templates/petitions/_open_notice.html, included by their pages).

Both go through the access policy: a township's staff never learn of a petition about their own
township's staff, not even from a count.
"""
from __future__ import annotations

from flask import g, url_for

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.petitions import bp
from portal.petitions.labels import STATE_LABELS
from portal.petitions.queries import counts, open_about
from portal.petitions.services import limits


def _access():
    access = g.get("access")
    if access is None or not access.can(Permission.VIEW_PETITIONS):
        return None
    return access


def petition_card() -> dict | None:
    """The city's petition counts, or None for a user who sees no petitions."""
    access = _access()
    if access is None:
        return None
    soon = limits().due_soon_days
    return {"counts": counts(access, local_today(), soon), "soon_days": soon}


def petitions_about(case=None, certificate=None) -> list[dict]:
    """The open petitions about `case` or `certificate` (a certificate's case counts too)."""
    access = _access()
    if access is None or (case is None and certificate is None):
        return []
    case_id = case.id if case is not None else getattr(certificate, "case_id", None)
    found = open_about(access, case_id=case_id,
                       certificate_id=certificate.id if certificate is not None else None)
    endpoint = "petitions.show_petition" if g.get("township") else "city_petitions.show_petition"
    return [{"reference": p.reference, "state": STATE_LABELS[p.state], "due_on": p.due_on,
             "url": url_for(endpoint, petition_id=p.id)} for p in found]


@bp.app_context_processor
def _petition_parts():
    return {"petition_card": petition_card, "petitions_about": petitions_about}
