"""A living demonstration campaign around today, for `flask seed demo`.

The survey phase is over, the concentrated phase is under way, review and issuance come next.
Everything goes through the same services an official's click goes through (cases, doctors,
concentrated days, home visits, video, assessments, certificates), with the day of each step
given explicitly, so the demo shows what the portal really records: certified doctors, days
with places and attendance, home visits, cases in every state and path, a finished video
assessment with its recording and snapshot in the evidence store, certificates printed,
dispatched and handed over, and a few overdue items so that the alerts show.

Deterministic: the same `seed` picks the same persons for the same stories, on the same
days relative to today.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import func, select

from portal.assessments.services import AssessmentData, record_assessment
from portal.auth.models import User
from portal.auth.roles import Role
from portal.auth.services import add_membership, create_user, generate_password
from portal.cases.models import Case
from portal.cases.services import (
    assign_doctor,
    create_case,
    open_case_of,
    record_appeal,
    take_step,
)
from portal.certificates.models import Certificate
from portal.certificates.services import (
    acknowledge_receipt,
    create_dispatch_batch,
    create_print_batch,
    mark_batch_printed,
    record_handover,
)
from portal.demo.training import train_doctors
from portal.doctors.services import (
    CertificationData,
    certification_of,
    save_certification,
)
from portal.extensions import db
from portal.reference.models import (
    Campaign,
    CampaignPhase,
    CampaignTarget,
    ConcentratedDay,
    Hospital,
    Township,
)
from portal.rosters.models import CATEGORIES, Person
from portal.scheduling.services import (
    DayData,
    VisitData,
    assign_cases,
    book_visit,
    create_day,
    record_attendance,
    record_visit_outcome,
)
from portal.tenancy import access_for
from portal.walkins.services import Application, open_walk_in

# Townships whose concentrated days the demo schedules (the demo users work in the first).
DEMO_TOWNSHIPS = ("mangshi", "zhefang", "menghuan")
# Persons a township needs for all the stories (fewer: its stories are left out).
MIN_PERSONS = 60
EXTRA_DOCTORS = (("demo_doctor_2", "评残医生（二）"), ("demo_doctor_3", "评残医生（三）"))


@dataclass
class LivingResult:
    campaign_code: str = ""
    cases: dict[str, int] = field(default_factory=dict)
    certificates: int = 0
    video_sessions: int = 0


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


# --- the campaign --------------------------------------------------------------------------

def demo_campaign(today: date, persons: int) -> Campaign:
    """The demonstration campaign of today's year, its phases surrounding today."""
    code = f"demo-{today.year}"
    campaign = db.session.execute(
        select(Campaign).where(Campaign.code == code)).scalar_one_or_none()
    if campaign is None:
        campaign = Campaign(code=code)
        db.session.add(campaign)
    campaign.name = f"{today.year}年残疾人证集中办理（演示）"
    campaign.document_number = "演示文件"
    campaign.county = "芒市（演示）"
    campaign.starts_on, campaign.ends_on = today - timedelta(days=120), today + timedelta(days=90)
    # Baseline: the demo's population (survey persons and the register's holders) and the
    # holders valid on the day the campaign is loaded.
    from portal.register.models import HolderEntry

    population = db.session.scalar(select(func.count()).select_from(Person)) or persons
    campaign.estimated_disabled = max(population, 1)
    campaign.certified_at_start = db.session.scalar(
        select(func.count()).select_from(HolderEntry).where(HolderEntry.expires_on > today))
    campaign.expiring_certificates = db.session.scalar(
        select(func.count()).select_from(Person).where(Person.certificate_expires_on <= today))
    campaign.poverty_registered_disabled = db.session.scalar(
        select(func.count()).select_from(Person).where(Person.poverty_registered.is_(True)))
    db.session.flush()
    phases = (
        ("publicity", "宣传发动", today - timedelta(days=120), today - timedelta(days=91)),
        ("survey", "摸底调查", today - timedelta(days=90), today - timedelta(days=31)),
        ("concentrated", "集中评残办证", today - timedelta(days=30), today + timedelta(days=20)),
        ("issuance", "审核发证", today + timedelta(days=21), today + timedelta(days=90)),
    )
    existing = {p.code: p for p in campaign.phases}
    for position, (code_, name, starts, ends) in enumerate(phases):
        phase = existing.get(code_) or CampaignPhase(campaign=campaign, code=code_)
        phase.name, phase.position, phase.starts_on, phase.ends_on = name, position, starts, ends
        db.session.add(phase)
    targets = {t.deadline: t for t in campaign.targets}
    for rate, deadline in (("0.50", today + timedelta(days=20)),
                           ("0.60", today + timedelta(days=90))):
        target = targets.get(deadline) or CampaignTarget(campaign=campaign, deadline=deadline)
        target.holding_rate = Decimal(rate)
        db.session.add(target)
    db.session.flush()
    _make_active(campaign, today)
    return campaign


def _make_active(campaign: Campaign, today: date) -> None:
    """The demo campaign becomes the active one; the one before is closed as it stood on its
    own last day (its closing snapshot), so the dashboards show it as a past campaign."""
    from portal.campaigns.services import activate, active_campaign, close

    if campaign.status == "active":
        return
    admin = _user("demo_admin")
    previous = active_campaign()
    if previous is not None:
        close(previous, admin, min(today, previous.ends_on or today))
    activate(campaign, admin, today)


# --- people who act ------------------------------------------------------------------------

def _user(username: str) -> User:
    return db.session.execute(select(User).where(User.username == username)).scalar_one()


def certified_doctors(today: date) -> list[User]:
    """demo_doctor and two colleagues, certified for every category at the first hospitals."""
    admin = _user("demo_admin")
    hospitals = list(db.session.scalars(select(Hospital).order_by(Hospital.id)))
    doctors = [_user("demo_doctor")]
    for username, display in EXTRA_DOCTORS:
        user = db.session.execute(
            select(User).where(User.username == username)).scalar_one_or_none()
        if user is None:
            user = create_user(username, generate_password(), display_name=display)
            add_membership(user, Role.DOCTOR, None)
        doctors.append(user)
    train_doctors(doctors, admin, today)
    for n, doctor in enumerate(doctors):
        if certification_of(doctor.id) is None:
            save_certification(doctor, admin, CertificationData(
                number=f"DH-PD-{today.year}-{n + 1:03d}",
                hospital_id=hospitals[n % len(hospitals)].id, categories=list(CATEGORIES),
                valid_from=today - timedelta(days=400), valid_until=today + timedelta(days=700)))
    db.session.flush()
    return doctors


def township_staff(township: Township) -> User:
    """demo_staff for the first demo township; an office account for each other one."""
    if township.code == DEMO_TOWNSHIPS[0]:
        return _user("demo_staff")
    username = f"demo_staff_{township.code}".replace("-", "_")
    user = db.session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        user = create_user(username, generate_password(), display_name=f"{township.name}残联")
        add_membership(user, Role.TOWNSHIP_STAFF, township)
        db.session.flush()
    return user


# --- concentrated days ---------------------------------------------------------------------

def concentrated_days(campaign: Campaign, today: date) -> dict[str, list[ConcentratedDay]]:
    """Two held days and two coming ones per demo township, with places per category."""
    hospitals = [h.id for h in db.session.scalars(select(Hospital).order_by(Hospital.id))][:2]
    admin = _user("demo_admin")
    days: dict[str, list[ConcentratedDay]] = {}
    for n, code in enumerate(DEMO_TOWNSHIPS):
        township = db.session.execute(select(Township).where(Township.code == code)).scalar_one()
        days[code] = []
        for offset in (-20 + n, -6 + n, 5 + n, 12 + n):
            on = today + timedelta(days=offset)
            day = db.session.execute(select(ConcentratedDay).where(
                ConcentratedDay.township_id == township.id, ConcentratedDay.day == on)
            ).scalar_one_or_none()
            if day is None:
                day = create_day(township, admin, DayData(
                    day=on, hospital_ids=hospitals,
                    capacities={c: (12 if c in ("physical", "vision") else 6) for c in CATEGORIES},
                    status="held" if offset < 0 else "planned",
                    note="集中评残日（演示）"))
            day.campaign_id = campaign.id
            days[code].append(day)
    db.session.flush()
    return days


# --- cases ---------------------------------------------------------------------------------

class Stories:
    """Moves demo persons' cases through the workflow, each step on its own day."""

    def __init__(self, rng: random.Random, today: date, township: Township,
                 doctors: list[User], days: list[ConcentratedDay]):
        self.rng, self.today, self.township = rng, today, township
        self.doctor, self.second, self.third = doctors[:3]
        self.staff, self.admin = township_staff(township), _user("demo_admin")
        self.days = days
        self.local = access_for(self.staff, township)
        self.city = access_for(self.admin, None)
        self.counts: dict[str, int] = {}
        self._persons = iter(db.session.scalars(
            select(Person).where(Person.township_id == township.id,
                                 Person.deceased.is_(False))
            .order_by(Person.id)).all())

    def day(self, offset: int) -> date:
        return self.today + timedelta(days=offset)

    def person(self, mobility: str | None = None) -> Person:
        for person in self._persons:
            if open_case_of(person.id) is not None:
                continue
            if mobility is not None and person.mobility != mobility:
                continue
            return person
        raise RuntimeError("the demo township has too few persons for the demo stories")

    def open(self, path: str, *, mobility: str | None = None, story: str,
             origin: str | None = None) -> Case:
        person = self.person(mobility)
        kind = "renewal" if person.certificate_number else "issue"
        case = create_case(self.township, self.staff, person, kind=kind, path=path,
                           requested_category=person.certificate_category
                           or self.rng.choice(("physical", "vision", "hearing")),
                           origin=origin)
        self.counts[story] = self.counts.get(story, 0) + 1
        return case

    def assess(self, case: Case, offset: int, *, grade: int | None = 3,
               doctor: User | None = None) -> None:
        doctor = doctor or self.doctor
        if case.doctor_id is None:
            assign_doctor(case, doctor.id, actor=self.staff, today=self.day(offset - 1))
        category = "physical"
        values = {"limb_clause": f"other_{grade}" if grade else "", "limb_without_aids": True}
        record_assessment(case, actor=doctor, access=access_for(doctor, self.township),
                          day=self.day(offset), data=AssessmentData(
                              category=category, method=case.path, values=values, grade=grade,
                              not_disabled_reason="" if grade else "肢体功能未达到残疾标准"))

    def step(self, case: Case, action: str, offset: int, *, by: User | None = None,
             **data) -> None:
        actor = by or self.staff
        access = self.city if actor is self.admin else self.local
        take_step(case, action, actor=actor, access=access, today=self.day(offset),
                  note=data.pop("note", "演示"), **data)

    def publicise(self, case: Case, start: int) -> None:
        self.step(case, "start_publicity", start, starts_on=self.day(start))

    def through_review(self, case: Case, start: int) -> None:
        """公示 from `start`, ended the working day after it ran, approved the day after."""
        self.publicise(case, start)
        end = (case.publicity_ends_on - self.today).days + 1
        self.step(case, "end_publicity", end)
        self.step(case, "approve", end + 1, by=self.admin)

    def at_day(self, cases: list[Case], day: ConcentratedDay) -> None:
        assign_cases(self.township, self.staff, self.local, day, cases)


def _concentrated_stories(s: Stories) -> list[Case]:
    """Held days with attendance, cases from registered to approved; coming days with places."""
    held, recent, coming = s.days[0], s.days[1], s.days[2]
    first = [s.open("concentrated", story="concentrated") for _ in range(8)]
    s.at_day(first, held)
    offset = (held.day - s.today).days
    record_attendance(s.township, s.staff, held,
                      {c.id: ("no_show" if i == 7 else "attended") for i, c in enumerate(first)})
    approved = []
    for i, case in enumerate(first[:7]):
        s.assess(case, offset, grade=1 + i % 4, doctor=(s.doctor, s.second)[i % 2])
        s.through_review(case, offset + 2)
        approved.append(case)
    later = [s.open("concentrated", story="concentrated") for _ in range(5)]
    s.at_day(later, recent)
    offset = (recent.day - s.today).days
    record_attendance(s.township, s.staff, recent, {c.id: "attended" for c in later})
    s.assess(later[0], offset, grade=2)
    s.publicise(later[0], offset + 1)                       # 公示 running now
    s.assess(later[1], offset, grade=None)                   # not qualified, told
    s.step(later[1], "notify_not_qualified", offset + 1, notified_on=s.day(offset + 1))
    s.assess(later[2], offset, grade=4)                       # assessed, 公示 not yet posted
    s.assess(later[3], offset, grade=3, doctor=s.second)
    s.step(later[3], "withdraw", offset + 1, note="申请人撤回申请（演示）")
    waiting = [s.open("concentrated", story="concentrated") for _ in range(6)]
    s.at_day(waiting, coming)                                 # places taken on a coming day
    return approved


def _other_paths(s: Stories) -> None:
    """Records review, home visits, an overdue 公示, an appeal and a case under review."""
    records = s.open("records", story="records")
    s.assess(records, -12, grade=3)
    s.publicise(records, -11)                                 # ran out, never ended: overdue
    review = s.open("records", story="walk_in", origin="walk_in")
    s.assess(review, -9, grade=2)
    s.publicise(review, -8)
    s.step(review, "end_publicity", (review.publicity_ends_on - s.today).days + 1)
    visited = s.open("home_visit", mobility="bedridden", story="home_visit")
    visit = book_visit(s.township, s.staff, s.local, visited, VisitData(
        visit_date=s.day(-5), starts_at=time(9), ends_at=time(11),
        address=visited.person.address or "村委会附近", doctor_ids=[s.doctor.id, s.third.id],
        staff_ids=[s.staff.id], notes="上门评残（演示）"))
    record_visit_outcome(s.township, s.staff, s.local, visit, "assessed", "已上门完成评定")
    s.assess(visited, -5, grade=1, doctor=s.doctor)
    coming = s.open("home_visit", mobility="bedridden", story="home_visit")
    book_visit(s.township, s.staff, s.local, coming, VisitData(
        visit_date=s.day(3), starts_at=time(14), ends_at=time(16),
        address=coming.person.address or "村委会附近", doctor_ids=[s.second.id],
        staff_ids=[s.staff.id], notes="预约上门（演示）"))
    refused = s.open("records", story="appeal")
    s.assess(refused, -25, grade=None)
    s.step(refused, "notify_not_qualified", -24, notified_on=s.day(-24))
    city_case = record_appeal(refused, actor=s.staff, access=s.local, path="concentrated",
                              note="申请人对评定结果有异议（演示）", today=s.day(-20))
    assign_doctor(city_case, s.third.id, actor=s.staff, today=s.day(-19))
    closed = s.open("records", story="records")
    s.assess(closed, -45, grade=None)
    s.step(closed, "notify_not_qualified", -44, notified_on=s.day(-44))
    s.step(closed, "close", -20, note="复评期限已过，未提出异议（演示）")
    disputed = s.open("records", story="records")                 # doctor's grade differs
    assign_doctor(disputed, s.doctor.id, actor=s.staff, today=s.day(-4))
    record_assessment(disputed, actor=s.doctor, access=access_for(s.doctor, s.township),
                      day=s.day(-3), data=AssessmentData(
                          category="physical", method="records", grade=2,
                          values={"limb_clause": "other_3", "limb_without_aids": True},
                          mismatch_reason="病历显示功能障碍较重，请第二位医生复核",
                          second_doctor_id=s.second.id))
    registered = s.open("records", story="walk_in", origin="walk_in")
    assign_doctor(registered, s.third.id, actor=s.staff, today=s.day(-1))
    hospital = db.session.scalars(select(Hospital).order_by(Hospital.id)).first()
    open_walk_in(s.township, s.staff, s.local, Application(
        kind="issue", path="hospital", requested_category="vision", hospital_id=hospital.id,
        booked_on=s.day(4), note="到定点医院直接预约评残（演示）"), person=s.person())
    s.counts["hospital_booking"] = 1


def _certificates(s: Stories, approved: list[Case]) -> int:
    """Print all approved; send them; the township receives and hands most of them over;
    one printed batch of another township waits undispatched past its deadline."""
    if not approved:
        return 0
    batch = create_print_batch(s.admin, s.city, approved, issue_date=s.day(-4))
    mark_batch_printed(batch, s.admin, s.city, today=s.day(-4))
    dispatch = create_dispatch_batch(s.admin, s.city, s.township, today=s.day(-3))
    acknowledge_receipt(dispatch, s.staff, counted=len(approved), today=s.day(-2))
    certificates = db.session.scalars(select(Certificate).where(
        Certificate.case_id.in_([c.id for c in approved])).order_by(Certificate.id)).all()
    for certificate in certificates[:-2]:                     # two still at the township office
        person = certificate.person
        record_handover(certificate, s.staff, s.local, receiver_name=person.name,
                        relation="self", id_last_digits=person.id_number[-4:],
                        handed_on=s.day(-1), today=s.day(-1))
    return len(certificates)


def _left_behind(s: Stories) -> int:
    """An approval of a month ago whose certificate was printed and never sent (overdue), and
    one approved yesterday waiting for the next print batch."""
    late = s.open("records", story="records")
    s.assess(late, -40, grade=3)
    s.through_review(late, -39)
    batch = create_print_batch(s.admin, s.city, [late], issue_date=s.day(-25))
    mark_batch_printed(batch, s.admin, s.city, today=s.day(-25))
    fresh = s.open("records", story="records")
    s.assess(fresh, -12, grade=4)
    s.through_review(fresh, -11)
    return 1


def seed_living_campaign(persons: int, seed: int, today: date) -> LivingResult:
    """The demonstration campaign and its work so far (idempotent: only once per database)."""
    from portal.demo.video import finished_video_assessment

    result = LivingResult()
    campaign = demo_campaign(today, persons)
    result.campaign_code = campaign.code
    if db.session.scalar(select(Case.id).limit(1)) is not None:
        return result                                          # the stories are told once
    townships = [t for t in db.session.scalars(
        select(Township).where(Township.code.in_(DEMO_TOWNSHIPS)))
        if db.session.scalar(select(func.count()).select_from(Person).where(
            Person.township_id == t.id)) >= MIN_PERSONS]
    if not townships:
        return result                                          # too small a demo population
    doctors = certified_doctors(today)
    days = concentrated_days(campaign, today)
    rng = random.Random(seed)
    for township in sorted(townships, key=lambda t: DEMO_TOWNSHIPS.index(t.code)):
        code = township.code
        stories = Stories(rng, today, township, doctors, days[code])
        approved = _concentrated_stories(stories)
        if code == DEMO_TOWNSHIPS[0]:
            _other_paths(stories)
            video = stories.open("video", mobility="bedridden", story="video")
            finished_video_assessment(stories, video, current_app)
            result.video_sessions += 1
        result.certificates += _certificates(stories, approved)
        if code == DEMO_TOWNSHIPS[-1]:
            result.certificates += _left_behind(stories)
        for story, n in stories.counts.items():
            result.cases[story] = result.cases.get(story, 0) + n
    db.session.flush()
    return result
