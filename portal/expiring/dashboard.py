"""The expiring certificates' count on the dashboards: `templates/expiring/_dashboard.html`,
included by the township and city dashboards, calls `expiring_summary()` (counts only). The
counts are a figure family of the dashboards (family "expiring"), computed with the others
(by the refresh job, or on read with the inline backend): a dashboard page only reads them."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g
from sqlalchemy import select

from portal.auth.roles import Permission
from portal.dashboards.figures import figure_family, read_family
from portal.expiring import bp
from portal.expiring.services import (
    DEFAULT_HORIZON_DAYS,
    NOTICE_DAYS,
    Counts,
    counts_per_township,
)
from portal.extensions import db
from portal.reference.models import Township
from portal.tenancy import Access

FAMILY = "expiring"
KEYS = ("expiring", "due_notice", "expired")


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
    summary = Summary(DEFAULT_HORIZON_DAYS, NOTICE_DAYS, Counts(),
                      can_open=access.can(Permission.MANAGE_CASES))
    township = g.get("township")
    if township is not None:
        summary.total = _counts(access, [township.id]).get(township.id, Counts())
        return summary
    townships = db.session.scalars(select(Township).order_by(Township.position,
                                                             Township.id)).all()
    counts = _counts(access, [t.id for t in townships])
    summary.lines = [(t, counts.get(t.id, Counts())) for t in townships]
    summary.total = Counts(*(sum(getattr(c, name) for _t, c in summary.lines)
                             for name in ("expiring", "due_notice", "expired")))
    return summary


def _counts(access: Access, township_ids: list[int]) -> dict[int, Counts]:
    return {tid: Counts(*(int(values.get(key, 0)) for key in KEYS))
            for tid, values in read_family(access, FAMILY, township_ids).items()}


@figure_family
def expiring_figures(access: Access, township_ids: list[int], today) -> list[dict]:
    """The counts per township as dashboard figures (they move with persons, the register
    and cases, whose changes mark the figures stale)."""
    wanted = set(township_ids)
    return [{"township_id": tid, "village_id": None, "family": FAMILY, "key": key,
             "value": getattr(counts, key)}
            for tid, counts in counts_per_township(access, today, DEFAULT_HORIZON_DAYS).items()
            if tid in wanted for key in KEYS]
