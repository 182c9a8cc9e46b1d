"""The demo's register of certificate holders, in proportion to the reference plan's baseline.

The demo's synthetic survey persons stand for the county's disabled persons who hold no valid
certificate; the register gets holders in the plan's proportion to them (9,675 certified of
23,900 estimated: 9,675 holders for every 14,225 others), and each township's estimate is set
to the persons the demo recorded there, so that the holding rate starts where the plan says
the county stood (about 40 %) with a sample of any size. Certificates are issued in the ten
years before the survey phase, so all are valid at the campaign's start (the holding rate is
right on the campaign's own calendar; later days see some of them expired).
"""
from __future__ import annotations

import random
from datetime import timedelta

from flask import current_app, has_app_context
from sqlalchemy import func, select

from portal.dashboards.models import DEMO_NOTE, TownshipEstimate
from portal.domain.certificate import expiry_date
from portal.extensions import db
from portal.reference.models import Campaign, Township, Village
from portal.register.models import HolderEntry
from portal.rosters.models import Person


def holder_count(campaign: Campaign | None, persons: int) -> int:
    """Holders for `persons` survey persons, in the plan's proportion."""
    if campaign is None or campaign.estimated_disabled <= campaign.certified_at_start:
        return 0
    others = campaign.estimated_disabled - campaign.certified_at_start
    return round(persons * campaign.certified_at_start / others)


def _campaign() -> Campaign | None:
    code = (current_app.config.get("CAMPAIGN_CODE", "mangshi-2020") if has_app_context()
            else "mangshi-2020")
    return db.session.execute(select(Campaign).where(Campaign.code == code)).scalar_one_or_none()


def seed_register(persons: int, seed: int) -> int:
    """Add the demo's certificate holders (persons on no survey list, each with a valid
    certificate in the register); returns how many were created (0 on a rerun)."""
    from portal.clock import local_today
    from portal.demo.people import (
        CATEGORY_DIGITS,
        _insert_rows,
        _person_row,
        generate_people,
    )

    today = local_today()
    count = holder_count(_campaign(), persons)
    if not count:
        return 0
    # A stream of its own: the survey persons of a seed stay what they were.
    people = generate_people(count, seed * 7919 + 104_729)
    rng = random.Random(seed * 31 + 7)
    townships = {t.code: t.id for t in db.session.scalars(select(Township))}
    villages = {(tid, name): vid for vid, tid, name in db.session.execute(
        select(Village.id, Village.township_id, Village.name))}
    existing = set(db.session.scalars(select(Person.id_number).where(
        Person.id_number.in_([p["id_number"] for p in people]))))
    fresh = [p for p in people if p["id_number"] not in existing
             and p["township_code"] in townships]
    rows, holdings = [], {}
    for p in fresh:
        p["list_kind"] = "holder"
        tid = townships[p["township_code"]]
        row = _person_row(p, tid, villages.get((tid, p["village_name"])))
        # Valid today: issued within the ten years before it (the demo lives around today).
        issued = today - timedelta(days=rng.randint(1, 3640))
        number = f"{p['id_number']}{CATEGORY_DIGITS[p['category']]}{p['grade']}"
        row.update(certificate_number=number, certificate_category=p["category"],
                   certificate_grade=p["grade"], certificate_expires_on=expiry_date(issued))
        rows.append(row)
        holdings[p["id_number"]] = (tid, number, p["category"], p["grade"], issued)
    _insert_rows(Person.__table__, rows)
    ids = dict(db.session.execute(select(Person.id_number, Person.id).where(
        Person.id_number.in_(list(holdings)))).all())
    _insert_rows(HolderEntry.__table__, [
        {"township_id": tid, "person_id": ids[number_id], "certificate_number": number,
         "category": category, "grade": grade, "issued_on": issued,
         "expires_on": expiry_date(issued), "replaced_expires_on": None,
         "source": "national_db", "certificate_id": None, "recorded_by_id": None}
        for number_id, (tid, number, category, grade, issued) in holdings.items()])
    db.session.flush()
    return len(rows)


def scale_estimates(actor_id: int) -> int:
    """Set the estimate of each township that has none to the persons recorded there (the
    demo's sample scaled as the plan's baseline); returns how many were set."""
    have = set(db.session.scalars(select(TownshipEstimate.township_id)))
    counts = dict(db.session.execute(
        select(Person.township_id, func.count()).group_by(Person.township_id)).all())
    made = 0
    for tid, n in sorted(counts.items()):
        if tid in have or not n:
            continue
        db.session.add(TownshipEstimate(township_id=tid, estimated_disabled=n,
                                        set_by_id=actor_id, note=DEMO_NOTE))
        made += 1
    db.session.flush()
    return made
