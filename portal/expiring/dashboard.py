"""The expiring certificates' count on the dashboards: `templates/expiring/_dashboard.html`,
included by the township and city dashboards, calls `expiring_summary()` (counts only)."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.clock import local_today
from portal.expiring import bp
from portal.expiring.services import (
    DEFAULT_HORIZON_DAYS,
    NOTICE_DAYS,
    Counts,
    counts_per_township,
)
from portal.extensions import db
from portal.reference.models import Township


@dataclass
class Summary:
    """The counts of the township shown, or of every township and their total (city)."""

    horizon: int
    notice_days: int
    total: Counts
    lines: list[tuple[Township, Counts]] = field(default_factory=list)
    can_open: bool = False  # whether the user reaches the township's expiring pages


@bp.app_template_global("expiring_summary")
def expiring_summary() -> Summary | None:
    """The dashboard's figures of certificates expiring soon, for where the user stands."""
    access = g.get("access")
    if access is None:
        return None
    counts = counts_per_township(access, local_today(), DEFAULT_HORIZON_DAYS)
    summary = Summary(DEFAULT_HORIZON_DAYS, NOTICE_DAYS, Counts(),
                      can_open=access.can(Permission.MANAGE_CASES))
    township = g.get("township")
    if township is not None:
        summary.total = counts.get(township.id, Counts())
        return summary
    townships = db.session.scalars(select(Township).order_by(Township.position,
                                                             Township.id)).all()
    summary.lines = [(t, counts.get(t.id, Counts())) for t in townships]
    summary.total = Counts(*(sum(getattr(c, name) for _t, c in summary.lines)
                             for name in ("expiring", "due_notice", "expired")))
    return summary
