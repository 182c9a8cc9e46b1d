"""The city overview's counts as a family of the dashboard's summary (portal/dashboards/
figures.py): persons, poverty-registered and bedridden persons, and the people on each list,
per township. Computed by the refresh job with the other figures, so that the overview reads
13 rows instead of counting a million persons on every view.

Every township gets its `persons` row, zero or not: a summary computed before this family
existed has none, and the overview then counts live.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, select

from portal.dashboards.figures import figure_family
from portal.extensions import db
from portal.rosters.models import Person, RosterEntry
from portal.tenancy import Access, scoped

FAMILY = "overview"
KEYS = ("persons", "expired", "suspected", "poverty", "bedridden")


def live_counts(access: Access, township_ids: list[int]) -> dict[int, dict[str, int]]:
    """{township id: {key: count}}, counted now."""
    out = {tid: dict.fromkeys(KEYS, 0) for tid in township_ids}
    for row in db.session.execute(
            scoped(select(
                Person.township_id,
                func.count().label("persons"),
                func.sum(case((Person.poverty_registered.is_(True), 1), else_=0)).label("poverty"),
                func.sum(case((Person.mobility == "bedridden", 1), else_=0)).label("bedridden"),
            ), access).where(Person.township_id.in_(township_ids))
            .group_by(Person.township_id)):
        out[row.township_id].update(persons=row.persons, poverty=int(row.poverty or 0),
                                    bedridden=int(row.bedridden or 0))
    for township_id, kind, count in db.session.execute(
            scoped(select(RosterEntry.township_id, RosterEntry.list_kind, func.count()), access)
            .where(RosterEntry.township_id.in_(township_ids))
            .group_by(RosterEntry.township_id, RosterEntry.list_kind)):
        if kind in out[township_id]:
            out[township_id][kind] = count
    return out


@figure_family
def overview_figures(access: Access, township_ids: list[int], today: date) -> list[dict]:
    return [{"township_id": tid, "village_id": None, "family": FAMILY, "key": key,
             "value": value}
            for tid, counts in live_counts(access, township_ids).items()
            for key, value in counts.items()]
