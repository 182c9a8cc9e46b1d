"""Campaigns as data: create and edit a campaign's plan, copy it to next year, activate one
(closing the previous with a snapshot of its figures), and its concentrated days.

The services change objects, flush and write audit events; the request (or CLI command) commits.
Checks return `Problem`s (a form field and a refusal code) instead of raising, so that a form
can show every one of them next to its field; warnings are problems that do not refuse. A
refused plan raises `Refused` with its first problem, all of them in `params["problems"]`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select, true

from portal.audit.services import record_event
from portal.extensions import db
from portal.reference.models import (
    Campaign,
    CampaignPhase,
    CampaignTarget,
    ConcentratedDay,
)
from portal.reference.services import active_campaign
from portal.refusals import Refused, message
from portal.rosters.models import CATEGORIES

# Consecutive phases further apart than this are a mistake in the dates, not a plan.
MAX_PHASE_GAP_DAYS = 60

@dataclass
class Problem:
    """A refusal or a warning (a code of the catalogue), attached to a form field (dotted like
    "phases-0-ends_on")."""

    field: str
    code: str
    params: dict = field(default_factory=dict)

    @property
    def message(self) -> str:
        return message(self.code, **self.params)


def _refuse(*problems: Problem) -> Refused:
    first = problems[0]
    return Refused(first.code, field=first.field, problems=list(problems), **first.params)


@dataclass
class PhaseData:
    code: str
    name: str
    starts_on: date
    ends_on: date
    description: str = ""


@dataclass
class TargetData:
    holding_rate: Decimal  # a fraction: 0.5 = 50 %; 1 for a poverty renewal
    deadline: date
    kind: str = "holding_rate"  # or "poverty_renewal" (TARGET_KINDS)


@dataclass
class CampaignData:
    code: str
    name: str
    starts_on: date
    ends_on: date
    document_number: str = ""
    county: str = ""
    historical: bool = False
    estimated_disabled: int = 0
    certified_at_start: int = 0
    expiring_certificates: int = 0
    poverty_registered_disabled: int = 0
    phases: list[PhaseData] = field(default_factory=list)
    targets: list[TargetData] = field(default_factory=list)


# --- which campaign ------------------------------------------------------------------------

def campaigns() -> list[Campaign]:
    """Every campaign: the active one first, then drafts, then the closed ones, newest first."""
    order = {"active": 0, "draft": 1, "closed": 2}
    rows = db.session.scalars(select(Campaign)).all()
    return sorted(rows, key=lambda c: (order.get(c.status, 3),
                                       -(c.starts_on or date.min).toordinal(), c.id))


def in_active_campaign(column):
    """SQL condition: a row (with a campaign_id `column`) belongs to the active campaign, or to
    none; with no active campaign every row counts."""
    campaign = active_campaign()
    if campaign is None:
        return true()
    return (column == campaign.id) | column.is_(None)


# --- checking a plan -----------------------------------------------------------------------

def _iso(day: date) -> str:
    return day.isoformat()


def check_plan(data: CampaignData, today: date, *, campaign: Campaign | None = None
               ) -> list[Problem]:
    """Everything wrong with the plan, each on its field; empty when it may be saved."""
    problems: list[Problem] = []
    taken = db.session.execute(select(Campaign.id).where(Campaign.code == data.code)).first()
    if taken and (campaign is None or taken[0] != campaign.id):
        problems.append(Problem("code", "campaign_code_taken"))
    if data.ends_on < data.starts_on:
        problems.append(Problem("ends_on", "campaign_period_order"))
    new = campaign is None or campaign.status == "draft"
    past_checked = new and not data.historical
    if past_checked and data.starts_on < today:
        problems.append(Problem("starts_on", "campaign_past_start"))
    period = {"start": _iso(data.starts_on), "end": _iso(data.ends_on)}
    if not data.phases:
        problems.append(Problem("phases-0-name", "campaign_no_phases"))
    codes: set[str] = set()
    previous: PhaseData | None = None
    for i, phase in enumerate(data.phases):
        name = f"phases-{i}-"
        if phase.code in codes:
            problems.append(Problem(name + "code", "campaign_phase_code_twice",
                                    {"code": phase.code}))
        codes.add(phase.code)
        if phase.ends_on < phase.starts_on:
            problems.append(Problem(name + "ends_on", "campaign_phase_order"))
        if phase.starts_on < data.starts_on or phase.ends_on > data.ends_on:
            problems.append(Problem(name + "starts_on", "campaign_phase_outside", period))
        if past_checked and phase.starts_on < today:
            problems.append(Problem(name + "starts_on", "campaign_past_date"))
        if previous is not None:
            if phase.starts_on <= previous.ends_on:
                problems.append(Problem(name + "starts_on", "campaign_phase_overlap",
                                        {"previous": previous.name,
                                         "end": _iso(previous.ends_on)}))
            elif (phase.starts_on - previous.ends_on).days - 1 > MAX_PHASE_GAP_DAYS:
                problems.append(Problem(name + "starts_on", "campaign_phase_gap",
                                        {"days": (phase.starts_on - previous.ends_on).days - 1,
                                         "max": MAX_PHASE_GAP_DAYS}))
        previous = phase
    deadlines: set[tuple[str, date]] = set()
    ordered = sorted(enumerate(data.targets), key=lambda it: it[1].deadline)
    highest: tuple[Decimal, date] | None = None
    for i, target in ordered:
        name = f"targets-{i}-"
        if (target.kind, target.deadline) in deadlines:
            problems.append(Problem(name + "deadline", "campaign_target_twice",
                                    {"deadline": _iso(target.deadline)}))
        deadlines.add((target.kind, target.deadline))
        if not data.starts_on <= target.deadline <= data.ends_on:
            problems.append(Problem(name + "deadline", "campaign_target_outside", period))
        if past_checked and target.deadline < today:
            problems.append(Problem(name + "deadline", "campaign_past_date"))
        if target.kind != "holding_rate":
            continue  # a renewal target is all or nothing: no rate to compare
        if highest is not None and target.holding_rate < highest[0]:
            problems.append(Problem(name + "holding_rate", "campaign_target_lower",
                                    {"rate": percent(highest[0]),
                                     "deadline": _iso(highest[1])}))
        if highest is None or target.holding_rate >= highest[0]:
            highest = (target.holding_rate, target.deadline)
    return problems


def percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}"


# --- saving a plan -------------------------------------------------------------------------

_FIELDS = ("code", "name", "document_number", "county", "starts_on", "ends_on", "historical",
           "estimated_disabled", "certified_at_start", "expiring_certificates",
           "poverty_registered_disabled")


def save_campaign(campaign: Campaign | None, data: CampaignData, actor, today: date) -> Campaign:
    """Create a draft campaign (campaign None) or change one; refuses a plan with problems."""
    if campaign is not None and campaign.status == "closed":
        raise _refuse(Problem("name", "campaign_closed"))
    problems = check_plan(data, today, campaign=campaign)
    if problems:
        raise _refuse(*problems)
    created = campaign is None
    if created:
        campaign = Campaign(status="draft")
        db.session.add(campaign)
    before = _plan_summary(campaign) if not created else None
    for name in _FIELDS:
        setattr(campaign, name, getattr(data, name))
    campaign.document_number = data.document_number or None
    _replace_phases(campaign, data.phases)
    _replace_targets(campaign, data.targets)
    db.session.flush()
    after = _plan_summary(campaign)
    record_event("campaign.created" if created else "campaign.updated", actor=actor,
                 obj=campaign, details={"plan": after} if created else
                 {"changed": {k: after[k] for k in after if before.get(k) != after[k]}})
    return campaign


def _replace_phases(campaign: Campaign, phases: list[PhaseData]) -> None:
    existing = {p.code: p for p in campaign.phases}
    kept = []
    for position, data in enumerate(phases):
        phase = existing.pop(data.code, None) or CampaignPhase(code=data.code)
        phase.name, phase.position = data.name, position
        phase.starts_on, phase.ends_on = data.starts_on, data.ends_on
        phase.description = data.description
        kept.append(phase)
    campaign.phases = kept


def _replace_targets(campaign: Campaign, targets: list[TargetData]) -> None:
    existing = {(t.kind, t.deadline): t for t in campaign.targets}
    kept = []
    for data in sorted(targets, key=lambda t: t.deadline):
        target = (existing.pop((data.kind, data.deadline), None)
                  or CampaignTarget(kind=data.kind, deadline=data.deadline))
        target.holding_rate = data.holding_rate if data.kind == "holding_rate" else Decimal(1)
        kept.append(target)
    campaign.targets = kept


def _plan_summary(campaign: Campaign) -> dict:
    """What the audit log keeps of a plan (no personal data in it)."""
    out = {name: getattr(campaign, name) for name in _FIELDS}
    for name in ("starts_on", "ends_on"):
        out[name] = out[name].isoformat() if out[name] else None
    out["phases"] = [[p.code, p.name, p.starts_on.isoformat(), p.ends_on.isoformat()]
                     for p in sorted(campaign.phases, key=lambda p: p.position)]
    out["targets"] = [[t.kind, str(t.holding_rate), t.deadline.isoformat()]
                      for t in sorted(campaign.targets, key=lambda t: t.deadline)]
    return out


def plan_of(campaign: Campaign) -> CampaignData:
    """The campaign's plan as data (what the edit form starts from)."""
    return CampaignData(
        **{name: getattr(campaign, name) for name in _FIELDS if name != "document_number"},
        document_number=campaign.document_number or "",
        phases=[PhaseData(p.code, p.name, p.starts_on, p.ends_on, p.description or "")
                for p in campaign.phases],
        targets=[TargetData(t.holding_rate, t.deadline, t.kind) for t in campaign.targets],
    )


# --- status: one active campaign --------------------------------------------------------------

def activate(campaign: Campaign, actor, today: date):
    """Make `campaign` the active one; the active one before it is closed with a snapshot.
    Returns the closed campaign, if any."""
    from portal.campaigns.snapshots import take_snapshot

    if campaign.status == "active":
        raise _refuse(Problem("status", "campaign_already_active"))
    if campaign.status == "closed":
        raise _refuse(Problem("status", "campaign_reopen"))
    previous = active_campaign()
    if previous is not None:
        take_snapshot(previous, actor, today)
        previous.status = "closed"
        db.session.flush()  # before the new one is active: one active row at any moment
        record_event("campaign.closed", actor=actor, obj=previous,
                     details={"code": previous.code, "on": today.isoformat(),
                              "replaced_by": campaign.code})
    campaign.status = "active"
    db.session.flush()
    record_event("campaign.activated", actor=actor, obj=campaign,
                 details={"code": campaign.code, "on": today.isoformat(),
                          "closed": previous.code if previous else None})
    return previous


def close(campaign: Campaign, actor, today: date) -> None:
    """Close the active campaign (snapshot taken) without activating another."""
    from portal.campaigns.snapshots import take_snapshot

    if campaign.status != "active":
        raise _refuse(Problem("status", "campaign_not_active"))
    take_snapshot(campaign, actor, today)
    campaign.status = "closed"
    db.session.flush()
    record_event("campaign.closed", actor=actor, obj=campaign,
                 details={"code": campaign.code, "on": today.isoformat(), "replaced_by": None})


# --- next year from this year ---------------------------------------------------------------

_YEAR = re.compile(r"(19|20)\d\d")


def _next_code(code: str, year: int) -> str:
    base = _YEAR.sub(str(year), code) if _YEAR.search(code) else f"{code}-{year}"
    candidate, n = base[:40], 2
    while db.session.execute(select(Campaign.id).where(Campaign.code == candidate)).first():
        candidate = f"{base[:36]}-{n}"
        n += 1
    return candidate


def shift_for(source: Campaign, days: int | None, new_start: date | None) -> int:
    """The number of days a copy moves by: given, or from the source's start to `new_start`."""
    if days is not None:
        return days
    start = source.starts_on or min((p.starts_on for p in source.phases), default=None)
    if start is None or new_start is None:
        raise _refuse(Problem("new_start", "campaign_no_start"))
    return (new_start - start).days


def copy_campaign(source: Campaign, actor, shift_days: int) -> tuple[Campaign, list[date]]:
    """A draft of the next campaign: the plan, baseline and concentrated days of `source`
    with every date moved by `shift_days`. Returns the draft and the days that could not be
    copied (the township already has a day on the shifted date)."""
    from portal.scheduling.services import _date_taken

    step = timedelta(days=shift_days)
    start = source.starts_on or min((p.starts_on for p in source.phases), default=None)
    end = source.ends_on or max((p.ends_on for p in source.phases), default=None)
    if start is None or end is None:
        raise _refuse(Problem("new_start", "campaign_no_start"))
    start, end = start + step, end + step
    draft = Campaign(
        code=_next_code(source.code, start.year), name=source.name, document_number=None,
        county=source.county, starts_on=start, ends_on=end, status="draft", historical=False,
        copied_from_id=source.id, estimated_disabled=source.estimated_disabled,
        certified_at_start=source.certified_at_start,
        expiring_certificates=source.expiring_certificates,
        poverty_registered_disabled=source.poverty_registered_disabled,
    )
    draft.phases = [CampaignPhase(code=p.code, name=p.name, position=p.position,
                                  starts_on=p.starts_on + step, ends_on=p.ends_on + step,
                                  description=p.description or "") for p in source.phases]
    draft.targets = [CampaignTarget(kind=t.kind, holding_rate=t.holding_rate,
                                    deadline=t.deadline + step) for t in source.targets]
    db.session.add(draft)
    db.session.flush()
    skipped = []
    for day in campaign_days(source):
        moved = day.day + step
        if _date_taken(day.township, moved):
            skipped.append(moved)
            continue
        copy = ConcentratedDay(township_id=day.township_id, campaign_id=draft.id, day=moved,
                               status="planned", note=day.note or "")
        for category in CATEGORIES:
            setattr(copy, f"capacity_{category}", day.capacity(category))
        copy.hospitals = list(day.hospitals)
        db.session.add(copy)
    db.session.flush()
    record_event("campaign.copied", actor=actor, obj=draft,
                 details={"from": source.code, "code": draft.code, "shift_days": shift_days,
                          "days_not_copied": [d.isoformat() for d in skipped]})
    return draft, skipped


def campaign_days(campaign: Campaign) -> list[ConcentratedDay]:
    """The campaign's concentrated days of every township, by date (city pages only)."""
    return list(db.session.scalars(
        select(ConcentratedDay).where(ConcentratedDay.campaign_id == campaign.id)
        .order_by(ConcentratedDay.day, ConcentratedDay.township_id)))


def planned_dates(campaign: Campaign, days: list[ConcentratedDay]) -> list[tuple[str, date]]:
    """Every date of the plan with what it is, for pointing out weekends and holidays."""
    from flask_babel import gettext as _

    out = []
    for phase in campaign.phases:
        out.append((_("%(phase)s starts", phase=phase.name), phase.starts_on))
        out.append((_("%(phase)s ends", phase=phase.name), phase.ends_on))
    for target in campaign.targets:
        out.append((_("Target deadline"), target.deadline))
    for day in days:
        out.append((_("Concentrated day of %(township)s", township=day.township.name), day.day))
    return out


# --- concentrated days of a campaign ---------------------------------------------------------

def check_day(campaign: Campaign, day: date, today: date) -> list[Problem]:
    """Refusals and warnings for a concentrated day of `campaign` on `day`: refused when the
    campaign is closed, or a draft not recorded as history and the day is past; a warning
    (code starting "campaign_day_") when the day is outside the concentrated phase or the period."""
    problems = []
    if campaign.status == "closed":
        problems.append(Problem("day", "campaign_closed"))
    if campaign.status == "draft" and not campaign.historical and day < today:
        problems.append(Problem("day", "campaign_past_date"))
    phase = campaign.phase("concentrated")
    if phase is None:
        problems.append(Problem("day", "campaign_day_no_phase"))
    elif not phase.starts_on <= day <= phase.ends_on:
        problems.append(Problem("day", "campaign_day_outside_phase",
                                {"date": _iso(day), "start": _iso(phase.starts_on),
                                 "end": _iso(phase.ends_on)}))
    if campaign.starts_on and campaign.ends_on and not (
            campaign.starts_on <= day <= campaign.ends_on):
        problems.append(Problem("day", "campaign_day_outside_period", {"date": _iso(day)}))
    return problems


def split(problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """(refusals, warnings) of a day check."""
    warnings = [p for p in problems if p.code.startswith("campaign_day_")]
    return [p for p in problems if p not in warnings], warnings
