"""Dashboard view models: the figures (computed and refreshed in `figures.py`, one grouped query
per figure family into a small per-township summary `dashboard_figures`) read back per township
and village, with estimates, targets and drill-down lists.

Definitions (also shown on the dashboard page):

- *certified person*: a person, not recorded as deceased, who holds a currently valid
  certificate on the dashboard's day: either a certificate printed by the portal, handed over to
  them, not cancelled and not expired; or their entry in the register of holders whose expiry
  date is after that day. A seeded number never counts.
- *holding rate*: certified persons ÷ estimated disabled persons.
- *estimated disabled persons* of a township: its latest `TownshipEstimate`; a township without
  one gets a share of what the campaign estimate leaves after the townships that have one,
  in proportion to the persons recorded in it (so with no estimates at all the townships
  share the campaign figure, 23,900 in the reference campaign). The overall estimate is the
  sum of the townships' estimates.
- *certified person*: see above; the certificate of a person counts when the register of
  holders (portal/register: the national database's export, holders added by hand, every
  handover) holds it valid on the day.
- *renewal*: persons on the expired-certificate roster (附件1), renewed when they are certified.
- *poverty renewal* (the plan's must-complete figure): poverty-registered persons, not
  deceased, who held a certificate expired by the campaign's start (on the expired roster,
  or an expiry on or before that day in the register or on the person row, or a register
  entry that replaced such a certificate); renewed when certified again, that is holding a
  certificate valid today (necessarily a later one: a new certificate handed over, or a
  register entry with a later expiry). Its deadline is the `poverty_renewal` target's,
  by default the end of the concentrated phase.
- *poverty-registered without certificate*: poverty-registered persons, not deceased, not
  certified.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from portal.auth.roles import Role
from portal.clock import local_today
from portal.dashboards.figures import (
    drill_down_condition,
    ensure_fresh,
    refresh_figures,
)
from portal.dashboards.models import (
    DEMO_NOTE,
    DashboardFigure,
    DashboardRefresh,
    TownshipEstimate,
)
from portal.domain.workdays import workdays_between
from portal.extensions import db
from portal.pages import paginate
from portal.reference.models import Campaign, Township, Village
from portal.rosters.models import Person
from portal.tenancy import Access, scoped

# --- reading the dashboard -----------------------------------------------------------------

@dataclass
class Line:
    """One row of a dashboard table: a township or a village, with its figures."""

    key: int | None
    name: str
    estimate: int = 0
    estimate_set: bool = False
    estimate_row: TownshipEstimate | None = None
    figures: dict[str, int] = field(default_factory=dict)
    overdue: dict[str, int] = field(default_factory=dict)
    code: str = ""
    rank: int = 0
    origins: dict[str, int] = field(default_factory=dict)  # cases by origin (CASE_ORIGINS)

    def get(self, key: str) -> int:
        return self.figures.get(key, 0)

    @property
    def rate(self) -> float | None:
        return self.get("certified") / self.estimate if self.estimate else None

    @property
    def found_by_survey(self) -> int:
        return self.origins.get("survey", 0)

    @property
    def came_on_their_own(self) -> int:
        from portal.cases.models import OWN_ORIGINS

        return sum(self.origins.get(origin, 0) for origin in OWN_ORIGINS)

    @property
    def renewal_pending(self) -> int:
        return self.get("expired_roster") - self.get("renewed")

    @property
    def poverty_renewal_left(self) -> int:
        return self.get("poverty_renewal") - self.get("poverty_renewed")


@dataclass
class RenewalTarget:
    """The plan's must-complete figure: every poverty-registered holder of an expired
    certificate renewed by `deadline`."""

    deadline: date
    calendar_days: int

    @property
    def passed(self) -> bool:
        return self.calendar_days < 0

    def late(self, line: Line) -> bool:
        """Whether `line` missed the deadline (red on the dashboard, with a word)."""
        return self.passed and line.poverty_renewal_left > 0


@dataclass
class TargetStatus:
    """A holding-rate target with what it needs and the time left."""

    rate: float
    deadline: date
    needed: int
    missing: int
    calendar_days: int
    working_days: int

    @property
    def reached(self) -> bool:
        return self.missing <= 0


@dataclass
class Dashboard:
    """Everything a dashboard page, its export and its print version show."""

    today: date
    campaign: Campaign | None
    lines: list[Line]
    total: Line
    targets: list[TargetStatus]
    cases: dict[str, dict[str, int]]  # state -> path -> count
    phases: list
    current_phase: object | None
    computed_at: datetime | None
    estimates_defaulted: bool
    baseline_rate: float | None
    renewal_targets: list[RenewalTarget] = field(default_factory=list)

    @property
    def case_paths(self) -> list[str]:
        from portal.cases.models import ASSESSMENT_PATHS

        return list(ASSESSMENT_PATHS)

    @property
    def demo_sample(self) -> bool:
        """Whether the estimates are the demo's, scaled to its sample of persons."""
        rows = [self.total.estimate_row] + [line.estimate_row for line in self.lines]
        return any(row is not None and row.note == DEMO_NOTE for row in rows)

    def chart_data(self) -> dict:
        """The figures the charts draw (embedded as JSON; the tables show the same)."""
        rows = [line for line in self.lines if line.rate is not None]
        return {
            "names": [line.name for line in rows],
            "rates": [round(line.rate * 100, 1) for line in rows],
            "targets": [{"rate": round(t.rate * 100, 1), "deadline": t.deadline.isoformat()}
                        for t in self.targets],
            "progress": self.progress_points(),
        }

    def progress_points(self) -> list[dict]:
        """Overall holding rate at the start, today, and the targets, in date order."""
        points = []
        start = self.phases[0].starts_on if self.phases else None
        if start is not None and self.baseline_rate is not None:
            points.append({"date": start.isoformat(), "actual": round(self.baseline_rate * 100, 1),
                           "target": round(self.baseline_rate * 100, 1)})
        for target in self.targets:
            points.append({"date": target.deadline.isoformat(), "actual": None,
                           "target": round(target.rate * 100, 1)})
        if self.total.rate is not None:
            points.append({"date": self.today.isoformat(),
                           "actual": round(self.total.rate * 100, 1), "target": None})
        return sorted(points, key=lambda p: p["date"])


def current_estimates(access: Access, township_ids: list[int]) -> dict[int, TownshipEstimate]:
    """The latest estimate of each township that has one."""
    latest = (
        scoped(select(func.max(TownshipEstimate.id)), access)
        .where(TownshipEstimate.township_id.in_(township_ids))
        .group_by(TownshipEstimate.township_id)
    )
    rows = db.session.scalars(
        scoped(select(TownshipEstimate), access).where(TownshipEstimate.id.in_(latest)))
    return {row.township_id: row for row in rows}


def split_proportionally(total: int, weights: dict) -> dict:
    """Split `total` over the keys of `weights` in proportion (largest remainder; equal
    shares when every weight is 0), so the parts add up to `total`."""
    if not weights:
        return {}
    weight_sum = sum(weights.values())
    if weight_sum <= 0:
        weights = {key: 1 for key in weights}
        weight_sum = len(weights)
    exact = {key: total * w / weight_sum for key, w in weights.items()}
    parts = {key: math.floor(v) for key, v in exact.items()}
    left = total - sum(parts.values())
    for key in sorted(exact, key=lambda k: (parts[k] - exact[k], str(k)))[:left]:
        parts[key] += 1
    return parts


def _read_figures(access: Access, township_ids: list[int]):
    per_village: dict[int, dict[int | None, dict[str, int]]] = {}
    cases: dict[int, dict[str, int]] = {}
    overdue: dict[int, dict[str, int]] = {}
    origins: dict[int, dict[str, int]] = {}
    stmt = (scoped(select(DashboardFigure.township_id, DashboardFigure.village_id,
                          DashboardFigure.family, DashboardFigure.key, DashboardFigure.value),
                   access)
            .where(DashboardFigure.township_id.in_(township_ids)))
    for tid, vid, family, key, value in db.session.execute(stmt):
        if family == "persons":
            per_village.setdefault(tid, {}).setdefault(vid, {})[key] = value
        elif family == "cases":
            cases.setdefault(tid, {})[key] = value
        elif family == "origins":
            origins.setdefault(tid, {})[key] = value
        elif family == "overdue":
            overdue.setdefault(tid, {})[key] = value
    return per_village, cases, overdue, origins


def _read_township_figures(access: Access, township_ids: list[int]):
    """The city's reading of the summary: the person figures summed per township by the
    database (the villages' rows are not needed), the other families as they are."""
    persons: dict[int, dict[str, int]] = {}
    others: dict[str, dict[int, dict[str, int]]] = {"cases": {}, "overdue": {}, "origins": {}}
    stmt = (scoped(select(DashboardFigure.township_id, DashboardFigure.family,
                          DashboardFigure.key, func.sum(DashboardFigure.value)), access)
            .where(DashboardFigure.township_id.in_(township_ids),
                   DashboardFigure.family.in_(("persons", *others)))
            .group_by(DashboardFigure.township_id, DashboardFigure.family, DashboardFigure.key))
    for tid, family, key, value in db.session.execute(stmt):
        target = persons if family == "persons" else others[family]
        target.setdefault(tid, {})[key] = int(value or 0)
    return persons, others["cases"], others["overdue"], others["origins"]


def _sum(dicts) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for key, value in d.items():
            out[key] = out.get(key, 0) + value
    return out


def _targets(campaign: Campaign | None, certified: int, estimate: int,
             today: date) -> list[TargetStatus]:
    out = []
    for target in (campaign.targets if campaign else []):
        if target.kind != "holding_rate":
            continue
        rate = float(target.holding_rate)
        needed = math.ceil(rate * estimate - 1e-9)
        out.append(TargetStatus(
            rate=rate, deadline=target.deadline, needed=needed, missing=needed - certified,
            calendar_days=(target.deadline - today).days,
            working_days=workdays_between(today, target.deadline),
        ))
    return out


def renewal_targets(campaign: Campaign | None, today: date) -> list[RenewalTarget]:
    """The campaign's poverty-renewal targets (deadline: the target's, else the end of the
    concentrated phase)."""
    out = []
    for target in (campaign.targets if campaign else []):
        if target.kind != "poverty_renewal":
            continue
        deadline = target.deadline or default_renewal_deadline(campaign)
        out.append(RenewalTarget(deadline=deadline, calendar_days=(deadline - today).days))
    return out


def default_renewal_deadline(campaign: Campaign) -> date | None:
    """The end of the concentrated phase, where a poverty-renewal target's deadline defaults."""
    phase = campaign.phase("concentrated")
    return phase.ends_on if phase else None


def _case_matrix(cases: dict[str, int]) -> dict[str, dict[str, int]]:
    matrix: dict[str, dict[str, int]] = {}
    for key, count in cases.items():
        state, path = key.split(":", 1)
        matrix.setdefault(state, {})[path] = count
    return matrix


def _campaign_context(campaign: Campaign | None, today: date):
    phases = list(campaign.phases) if campaign else []
    current = next((p for p in phases if p.starts_on <= today <= p.ends_on), None)
    baseline = (campaign.certified_at_start / campaign.estimated_disabled
                if campaign and campaign.estimated_disabled else None)
    return phases, current, baseline


def rank_lines(lines: list[Line]) -> None:
    """Rank by holding rate, highest first (lines without an estimate last)."""
    ordered = sorted(lines, key=lambda line: (line.rate is None, -(line.rate or 0), line.name))
    for position, line in enumerate(ordered, start=1):
        line.rank = position


def city_dashboard(access: Access, campaign: Campaign | None, today: date,
                   max_age_seconds: int, states: dict | None = None) -> Dashboard:
    """The city's figures: every township, the total, targets, cases, phases (`states`: the
    summary's state as the page already read it, fragments.summary_states)."""
    townships = db.session.scalars(select(Township).order_by(Township.position,
                                                             Township.id)).all()
    ids = [t.id for t in townships]
    computed_at = ensure_fresh(access, ids, today, max_age_seconds, states)
    persons, cases, overdue, origins = _read_township_figures(access, ids)
    estimates = current_estimates(access, ids)
    figures = {tid: persons.get(tid, {}) for tid in ids}
    unset = [tid for tid in ids if tid not in estimates]
    remaining = max((campaign.estimated_disabled if campaign else 0)
                    - sum(e.estimated_disabled for e in estimates.values()), 0)
    defaults = split_proportionally(remaining, {tid: figures[tid].get("persons", 0)
                                                for tid in unset})
    lines = []
    for township in townships:
        estimate = estimates.get(township.id)
        lines.append(Line(
            key=township.id, name=township.name, code=township.code,
            estimate=estimate.estimated_disabled if estimate else defaults[township.id],
            estimate_set=estimate is not None, estimate_row=estimate,
            figures=figures[township.id], overdue=overdue.get(township.id, {}),
            origins=origins.get(township.id, {}),
        ))
    rank_lines(lines)
    total = Line(key=None, name="", estimate=sum(line.estimate for line in lines),
                 figures=_sum(line.figures for line in lines),
                 overdue=_sum(line.overdue for line in lines),
                 origins=_sum(line.origins for line in lines))
    phases, current, baseline = _campaign_context(campaign, today)
    return Dashboard(
        today=today, campaign=campaign, lines=lines, total=total,
        targets=_targets(campaign, total.get("certified"), total.estimate, today),
        cases=_case_matrix(_sum(cases.values())), phases=phases, current_phase=current,
        computed_at=computed_at, estimates_defaulted=bool(unset), baseline_rate=baseline,
        renewal_targets=renewal_targets(campaign, today),
    )


def township_dashboard(access: Access, township: Township, campaign: Campaign | None,
                       today: date, max_age_seconds: int) -> Dashboard:
    """One township's figures per village, with the township's estimate split over villages
    in proportion to the persons recorded in each."""
    computed_at = ensure_fresh(access, [township.id], today, max_age_seconds)
    per_village, cases, overdue, origins = _read_figures(access, [township.id])
    figures = per_village.get(township.id, {})
    own = _township_line(access, township, campaign, _sum(figures.values()))
    own.overdue = overdue.get(township.id, {})
    own.origins = origins.get(township.id, {})
    villages = db.session.scalars(scoped(select(Village), access).order_by(Village.name)).all()
    keys: list[int | None] = [v.id for v in villages] + ([None] if None in figures else [])
    shares = split_proportionally(own.estimate, {k: figures.get(k, {}).get("persons", 0)
                                                 for k in keys})
    names = {v.id: v.name for v in villages}
    lines = [Line(key=k, name=names.get(k, ""), estimate=shares[k], figures=figures.get(k, {}))
             for k in keys]
    rank_lines(lines)
    phases, current, baseline = _campaign_context(campaign, today)
    return Dashboard(
        today=today, campaign=campaign, lines=lines, total=own,
        targets=_targets(campaign, own.get("certified"), own.estimate, today),
        cases=_case_matrix(cases.get(township.id, {})), phases=phases, current_phase=current,
        computed_at=computed_at, estimates_defaulted=not own.estimate_set,
        baseline_rate=baseline, renewal_targets=renewal_targets(campaign, today),
    )


def _township_line(access: Access, township: Township, campaign: Campaign | None,
                   figures: dict[str, int]) -> Line:
    """The township's own line with the estimate the city uses for it.

    A default estimate is a share of what the city's set estimates leave, in proportion to the
    persons recorded in each township without one; it depends on the other townships'
    counts, so those (counts only, never persons) are read with city-wide scope. Only this
    township's own figure is returned.
    """
    city = Access(user_id=access.user_id, township=None, roles={Role.SUPERVISOR})
    ids = list(db.session.scalars(select(Township.id)))
    counted = set(db.session.scalars(scoped(select(DashboardRefresh.township_id), city)))
    never = [tid for tid in ids if tid not in counted and tid != township.id]
    if never:  # the other townships' counts have never been computed
        refresh_figures(city, never, local_today())
    estimates = current_estimates(city, ids)
    estimate = estimates.get(township.id)
    if estimate is not None:
        value = estimate.estimated_disabled
    else:
        persons = dict(db.session.execute(
            scoped(select(DashboardFigure.township_id, func.sum(DashboardFigure.value)), city)
            .where(DashboardFigure.family == "persons", DashboardFigure.key == "persons")
            .group_by(DashboardFigure.township_id)).all())
        persons[township.id] = figures.get("persons", 0)
        unset = {tid: int(persons.get(tid) or 0) for tid in ids if tid not in estimates}
        remaining = max((campaign.estimated_disabled if campaign else 0)
                        - sum(e.estimated_disabled for e in estimates.values()), 0)
        value = split_proportionally(remaining, unset)[township.id]
    return Line(key=township.id, name=township.name, code=township.code, estimate=value,
                estimate_set=estimate is not None, estimate_row=estimate, figures=figures)


# --- estimates -------------------------------------------------------------------------------

def set_estimate(township: Township, actor, estimated_disabled: int,
                 note: str = "") -> TownshipEstimate:
    """Record a new version of the township's estimate of disabled persons."""
    from portal.audit.services import record_event

    row = TownshipEstimate(township_id=township.id, estimated_disabled=estimated_disabled,
                           set_by_id=actor.id, note=note)
    db.session.add(row)
    db.session.flush()
    record_event("dashboard.estimate_set", actor=actor, township_id=township.id, obj=row,
                 details={"estimated_disabled": estimated_disabled})
    return row


def estimate_history(access: Access, limit: int = 200) -> list[TownshipEstimate]:
    """The latest versions of all estimates, newest first."""
    return db.session.scalars(
        scoped(select(TownshipEstimate), access).order_by(TownshipEstimate.id.desc())
        .limit(limit)).all()


def drill_down(access: Access, kind: str, today: date, township_id: int | None = None,
               page: int = 1, per_page: int = 50):
    """One page of the persons behind a dashboard figure (poverty-registered without a
    certificate, expired-roster holders not yet renewed), as a `portal.pages.Page`."""
    stmt = scoped(select(Person), access).where(drill_down_condition(kind, today))
    if township_id is not None:
        stmt = stmt.where(Person.township_id == township_id)
    return paginate(stmt.order_by(Person.township_id, Person.village_id, Person.id),
                    per_page, page)
