"""The doctor pool: certified doctors per category and hospital, today and a year ago, and the
coming concentrated days that have fewer certified doctors than their places need.

- Certified on a day: the certification as it was on record that day (the current row, or the
  version an edit replaced after that day, `CertificationVersion`) was active, its dates
  covered the day and it named the category. A doctor counts once per category they hold, in
  the hospital of that certification.
- Needed on a coming day: per category, the places of every township's planned concentrated
  days on that date (a day's capacity, or the cases placed on it when more) divided by
  `ASSESSMENTS_PER_DOCTOR_PER_DAY`, rounded up; available: doctors whose certification covers
  the category on that date. A doctor certified for several categories is counted in each: the
  row "all categories" sets the sum of the needs against the distinct doctors of that date.
"""
from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import func, select

from portal.auth.models import User
from portal.cases.models import Case
from portal.doctors.models import DoctorCertification
from portal.domain.grading import CATEGORIES
from portal.extensions import db
from portal.reference.models import ConcentratedDay, Hospital, Township
from portal.scheduling.services import RELEASED_STATES
from portal.tenancy import Access, scoped
from portal.training.models import CertificationVersion


def one_year_before(day: date) -> date:
    """The same day a year earlier (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def settings() -> tuple[int, int]:
    """(assessments one doctor does in a day, days ahead the pool looks at)."""
    config = current_app.config
    per_doctor = max(int(config.get("ASSESSMENTS_PER_DOCTOR_PER_DAY") or 20), 1)
    horizon = max(int(config.get("DOCTOR_POOL_HORIZON_DAYS") or 90), 1)
    return per_doctor, horizon


# --- certified doctors on a day -----------------------------------------------------------

@dataclass
class Record:
    """What one doctor's certification said on a day."""

    user_id: int
    hospital_id: int
    categories: list[str]


@dataclass
class Registry:
    """Every certification on record now (with its account's state) and every past version."""

    current: dict[int, tuple[DoctorCertification, bool]]
    versions: list[CertificationVersion]

    @classmethod
    def load(cls) -> Registry:
        stmt = select(DoctorCertification, User.active).join(
            User, User.id == DoctorCertification.user_id)
        current = {cert.user_id: (cert, active) for cert, active in db.session.execute(stmt)}
        versions = list(db.session.scalars(select(CertificationVersion).order_by(
            CertificationVersion.replaced_on, CertificationVersion.id)))
        return cls(current, versions)

    def on(self, day: date, *, active_accounts_only: bool = False) -> list[Record]:
        """Every doctor certified on `day`, as their certification was on record that day."""
        earlier: dict[int, CertificationVersion] = {}
        for version in self.versions:
            if version.replaced_on > day:
                earlier.setdefault(version.user_id, version)  # the first replaced after `day`
        found = []
        for user_id in sorted(set(self.current) | set(earlier)):
            cert, account_active = self.current.get(user_id, (None, True))
            if active_accounts_only and not account_active:
                continue
            state = earlier.get(user_id) or cert
            if state is None or not state.active or not (
                    state.valid_from <= day <= state.valid_until):
                continue
            found.append(Record(user_id, state.hospital_id, list(state.categories or [])))
        return found


@dataclass
class Count:
    now: int = 0
    last_year: int = 0

    @property
    def change(self) -> int:
        return self.now - self.last_year


@dataclass
class Certified:
    """Certified doctors per hospital and category, today and the same day a year earlier."""

    today: date
    year_ago: date
    hospitals: list[Hospital]
    cells: dict[tuple[int, str], Count]
    by_category: dict[str, Count]
    by_hospital: dict[int, Count]
    doctors: Count

    def cell(self, hospital_id: int, category: str) -> Count:
        return self.cells.get((hospital_id, category), Count())


def certified(today: date, registry: Registry | None = None) -> Certified:
    """The pool today against the same day one year earlier (`registry`: as already loaded)."""
    year_ago = one_year_before(today)
    registry = registry or Registry.load()
    cells: dict[tuple[int, str], Count] = defaultdict(Count)
    by_category = {c: Count() for c in CATEGORIES}
    by_hospital: dict[int, Count] = defaultdict(Count)
    doctors = Count()
    for when, records in (("now", registry.on(today, active_accounts_only=True)),
                          ("last_year", registry.on(year_ago))):
        setattr(doctors, when, len(records))
        for record in records:
            hospital = by_hospital[record.hospital_id]
            setattr(hospital, when, getattr(hospital, when) + 1)
            for category in record.categories:
                if category not in by_category:
                    continue
                for count in (cells[(record.hospital_id, category)], by_category[category]):
                    setattr(count, when, getattr(count, when) + 1)
    hospitals = list(db.session.scalars(
        select(Hospital).where(Hospital.id.in_(list(by_hospital))).order_by(Hospital.name))
    ) if by_hospital else []
    return Certified(today, year_ago, hospitals, dict(cells), by_category,
                     dict(by_hospital), doctors)


# --- the coming concentrated days -------------------------------------------------------

@dataclass
class Need:
    places: int = 0
    needed: int = 0
    available: int = 0

    @property
    def short(self) -> int:
        return max(self.needed - self.available, 0)


@dataclass
class DayNeeds:
    """One date of concentrated days: per category, places, doctors needed and certified."""

    day: date
    townships: list[str]
    by_category: dict[str, Need]
    total: Need


@dataclass
class Shortfall:
    """A category short of doctors on at least one coming date (its worst date shown)."""

    category: str
    dates: list[date]
    worst: DayNeeds
    worst_need: Need


@dataclass
class Needs:
    per_doctor: int
    horizon: int
    until: date
    days: list[DayNeeds] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)


def _places(access: Access, today: date, until: date):
    days = list(db.session.scalars(
        scoped(select(ConcentratedDay), access)
        .where(ConcentratedDay.day >= today, ConcentratedDay.day <= until,
               ConcentratedDay.status == "planned")
        .order_by(ConcentratedDay.day, ConcentratedDay.township_id)))
    placed: dict[tuple[int, str], int] = {}
    if days:
        rows = db.session.execute(
            scoped(select(Case.concentrated_day_id, Case.requested_category,
                          func.count(Case.id)), access)
            .where(Case.concentrated_day_id.in_([d.id for d in days]),
                   Case.state.not_in(RELEASED_STATES))
            .group_by(Case.concentrated_day_id, Case.requested_category))
        placed = {(day_id, category): n for day_id, category, n in rows}
    by_date: dict[date, list[ConcentratedDay]] = defaultdict(list)
    for day in days:
        by_date[day.day].append(day)
    return by_date, placed


def _day_needs(on: date, days: list[ConcentratedDay], placed: dict, per_doctor: int,
               names: dict[int, str], registry: Registry) -> DayNeeds:
    records = registry.on(on, active_accounts_only=True)
    by_category = {}
    for category in CATEGORIES:
        places = sum(max(d.capacity(category), placed.get((d.id, category), 0)) for d in days)
        if not places:
            continue
        available = sum(1 for r in records if category in r.categories)
        by_category[category] = Need(places, math.ceil(places / per_doctor), available)
    total = Need(sum(n.places for n in by_category.values()),
                 sum(n.needed for n in by_category.values()),
                 sum(1 for r in records if set(r.categories) & set(by_category)))
    return DayNeeds(on, sorted({names.get(d.township_id, "") for d in days}), by_category,
                    total)


def needs(access: Access, today: date, registry: Registry | None = None) -> Needs:
    """The coming planned concentrated days, per date, against the certified doctors
    (`registry`: as already loaded)."""
    per_doctor, horizon = settings()
    until = today + timedelta(days=horizon)
    result = Needs(per_doctor, horizon, until)
    by_date, placed = _places(access, today, until)
    if not by_date:
        return result
    names = dict(db.session.execute(select(Township.id, Township.name)).all())
    registry = registry or Registry.load()
    result.days = [_day_needs(on, days, placed, per_doctor, names, registry)
                   for on, days in sorted(by_date.items())]
    for category in CATEGORIES:
        short = [d for d in result.days
                 if category in d.by_category and d.by_category[category].short]
        if short:
            worst = max(short, key=lambda d: (d.by_category[category].short, -d.day.toordinal()))
            result.shortfalls.append(Shortfall(category, [d.day for d in short], worst,
                                               worst.by_category[category]))
    return result
