"""A campaign's closing snapshot (its city dashboard as it stood, counts only) and the
holding-rate curves that compare campaigns."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.auth.roles import Role
from portal.campaigns.models import CampaignSnapshot
from portal.extensions import db
from portal.reference.models import Campaign
from portal.tenancy import Access


def _rate(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


def snapshot_figures(dash) -> dict:
    """The JSON a snapshot keeps of a city dashboard."""
    def line(item) -> dict:
        return {"code": item.code, "name": item.name, "estimate": item.estimate,
                "certified": item.get("certified"), "persons": item.get("persons"),
                "renewal_pending": item.renewal_pending,
                "poverty_uncertified": item.get("poverty_uncertified"),
                "rate": _rate(item.rate)}

    cases: dict[str, int] = {}
    for state, paths in dash.cases.items():
        cases[state] = sum(paths.values())
    return {
        "as_of": dash.today.isoformat(),
        "townships": [line(item) for item in dash.lines],
        "total": line(dash.total),
        "targets": [{"rate": _rate(t.rate), "deadline": t.deadline.isoformat(),
                     "needed": t.needed, "missing": t.missing} for t in dash.targets],
        "baseline_rate": _rate(dash.baseline_rate),
        "cases": cases,
    }


def take_snapshot(campaign: Campaign, actor, today: date,
                  reason: str = "closing") -> CampaignSnapshot:
    """Record the city dashboard of `campaign` as of `today` (figures recomputed first)."""
    from portal.audit.services import record_event
    from portal.dashboards.services import city_dashboard

    city = Access(user_id=actor.id, township=None, roles={Role.SUPERVISOR})
    dash = city_dashboard(city, campaign, today, max_age_seconds=0)
    snapshot = CampaignSnapshot(campaign_id=campaign.id, taken_on=today, taken_by_id=actor.id,
                                reason=reason, figures=snapshot_figures(dash))
    db.session.add(snapshot)
    db.session.flush()
    record_event("campaign.snapshot", actor=actor, obj=snapshot,
                 details={"campaign": campaign.code, "on": today.isoformat(),
                          "rate": snapshot.figures["total"]["rate"]})
    return snapshot


def closing_snapshot(campaign: Campaign) -> CampaignSnapshot | None:
    """The campaign's latest snapshot (the closing one for a closed campaign)."""
    return db.session.scalars(
        select(CampaignSnapshot).where(CampaignSnapshot.campaign_id == campaign.id)
        .order_by(CampaignSnapshot.taken_on.desc(), CampaignSnapshot.id.desc()).limit(1)
    ).first()


def _start(campaign: Campaign) -> date | None:
    return campaign.starts_on or min((p.starts_on for p in campaign.phases), default=None)


def comparison(active_dash=None, rows: list[Campaign] | None = None) -> list[dict]:
    """Each campaign's holding-rate curve, counted in days from its start so that the years
    lie side by side: the baseline at day 0, its snapshots, and today for the active one
    (`rows`: the campaigns, when the page has them already)."""
    series = []
    if rows is None:
        rows = db.session.scalars(select(Campaign).where(Campaign.status != "draft")).all()
    rows = [c for c in rows if c.status != "draft"]
    snapshots: dict[int, list[CampaignSnapshot]] = {}
    if rows:
        for snap in db.session.scalars(
                select(CampaignSnapshot)
                .where(CampaignSnapshot.campaign_id.in_([c.id for c in rows]))
                .order_by(CampaignSnapshot.taken_on, CampaignSnapshot.id)):
            snapshots.setdefault(snap.campaign_id, []).append(snap)
    for campaign in sorted(rows, key=lambda c: (_start(c) or date.min, c.id)):
        start = _start(campaign)
        if start is None:
            continue
        points = []
        if campaign.estimated_disabled:
            points.append({"x": 0, "y": _rate(campaign.certified_at_start
                                              / campaign.estimated_disabled),
                           "date": start.isoformat()})
        for snap in snapshots.get(campaign.id, []):
            rate = snap.figures.get("total", {}).get("rate")
            if rate is not None:
                points.append({"x": (snap.taken_on - start).days, "y": rate,
                               "date": snap.taken_on.isoformat()})
        if (campaign.status == "active" and active_dash is not None
                and active_dash.total.rate is not None):
            points.append({"x": (active_dash.today - start).days,
                           "y": _rate(active_dash.total.rate),
                           "date": active_dash.today.isoformat()})
        if points:
            series.append({"id": campaign.id, "name": f"{campaign.name} ({start.year})",
                           "code": campaign.code,
                           "status": campaign.status, "start": start.isoformat(),
                           "points": points})
    return series
