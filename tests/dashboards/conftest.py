"""A small population with known certified, expired, poverty and overdue counts.

A "holder" is in the register of holders with a valid certificate.

Township A (villages 一村 and 二村), not counting the deceased a5:
  a1 一村 holder at the start (expiry in a year)            certified; a newer card printed,
                                                           not sent (dispatch overdue)
  a2 一村 expired roster, expired card, poverty            pending renewal, poverty w/o cert;
                                                           case in public notice, notice over
  a3 二村 expired roster, expired card, portal card handed renewed (certified)
  a4 二村 suspected, poverty, holder (expiry in a year)    certified
  a5 二村 deceased holder                                   not counted at all
  a6 一村 suspected, portal card received 20 days ago,
          not handed over                                  not certified; handover overdue
  a7 一村 expired roster, portal card handed but cancelled pending renewal
Township B (no villages used):
  b1 holder, poverty                                       certified
  b2 suspected, poverty; case in city review, past due     poverty w/o cert; review overdue
  b3 expired roster, expired card; case approved, no card  pending renewal; print overdue
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

EXPECTED = {
    "A": {"persons": 6, "certified": 3, "expired_roster": 3, "renewed": 1, "poverty": 2,
          "poverty_uncertified": 1},
    "B": {"persons": 3, "certified": 1, "expired_roster": 1, "renewed": 0, "poverty": 2,
          "poverty_uncertified": 1},
}
EXPECTED_VILLAGES = {"一村": {"persons": 4, "certified": 1}, "二村": {"persons": 2, "certified": 2}}
EXPECTED_OVERDUE = {
    "A": {"publicity": 1, "review": 0, "print": 0, "dispatch": 1, "receipt": 0, "handover": 1,
          "petitions": 0},
    "B": {"publicity": 0, "review": 1, "print": 1, "dispatch": 0, "receipt": 0, "handover": 0,
          "petitions": 0},
}


@dataclass
class Population:
    today: date
    campaign: object
    a: object
    b: object
    admin: object
    supervisor: object
    staff_a: object
    liaison_a: object
    persons: dict


@pytest.fixture
def population(app, db_session, make_township, make_user, make_person):
    from portal.cases.models import Case
    from portal.certificates.models import (
        Certificate,
        DispatchBatch,
        Handover,
        PrintBatch,
    )
    from portal.clock import local_today
    from portal.reference.models import Campaign, CampaignPhase, CampaignTarget

    today = local_today()
    later, earlier = today + timedelta(days=365), today - timedelta(days=30)
    campaign = Campaign(code=app.config["CAMPAIGN_CODE"], name="测试活动", status="active",
                        estimated_disabled=100, certified_at_start=40,
                        expiring_certificates=7, poverty_registered_disabled=5)
    campaign.targets = [
        CampaignTarget(holding_rate=Decimal("0.5000"), deadline=date(2020, 12, 31)),
        CampaignTarget(holding_rate=Decimal("0.6000"), deadline=date(2021, 12, 31)),
    ]
    campaign.phases = [
        CampaignPhase(code="survey", name="摸底调查阶段", position=0,
                      starts_on=date(2020, 4, 1), ends_on=date(2020, 4, 15)),
        CampaignPhase(code="issuance", name="审核发证阶段", position=1,
                      starts_on=today - timedelta(days=5), ends_on=today + timedelta(days=5)),
    ]
    db_session.add(campaign)
    a = make_township(code="dasha", villages=("一村", "二村"))
    b = make_township(code="dashb", villages=("甲村",))
    v1, v2 = sorted(a.villages, key=lambda v: v.name)
    assert (v1.name, v2.name) == ("一村", "二村")
    admin = make_user("city_admin", username="dash_admin")
    supervisor = make_user("supervisor", username="dash_supervisor")
    staff_a = make_user("township_staff", a, username="dash_staff_a")
    liaison_a = make_user("village_liaison", a, [v1], username="dash_liaison_a")

    p = {}
    p["a1"] = make_person(a, name="甲一", village=v1, list_kind=None,
                          certificate_expires_on=later)
    p["a2"] = make_person(a, name="甲二", village=v1, list_kind="expired",
                          certificate_expires_on=earlier, poverty_registered=True,
                          phone="13800001234")
    p["a3"] = make_person(a, name="甲三", village=v2, list_kind="expired",
                          certificate_expires_on=earlier)
    p["a4"] = make_person(a, name="甲四", village=v2, list_kind="suspected",
                          certificate_expires_on=later, poverty_registered=True)
    p["a5"] = make_person(a, name="甲五", village=v2, list_kind=None,
                          certificate_expires_on=later, deceased=True, poverty_registered=True)
    p["a6"] = make_person(a, name="甲六", village=v1, list_kind="suspected")
    p["a7"] = make_person(a, name="甲七", village=v1, list_kind="expired",
                          certificate_expires_on=earlier)
    p["b1"] = make_person(b, name="乙一", list_kind=None, certificate_expires_on=later,
                          poverty_registered=True)
    p["b2"] = make_person(b, name="乙二", list_kind="suspected", poverty_registered=True)
    p["b3"] = make_person(b, name="乙三", list_kind="expired", certificate_expires_on=earlier)
    # The holders at the start are in the register of holders (as the national database's
    # export puts them there).
    from portal.register.models import HolderEntry

    for key in ("a1", "a4", "a5", "b1"):
        person = p[key]
        db_session.add(HolderEntry(
            township_id=person.township_id, person_id=person.id,
            certificate_number=person.id_number + "41", category="physical", grade=1,
            expires_on=later, source="national_db"))
    db_session.flush()

    def case(person, township, state, path, **fields):
        row = Case(township_id=township.id, person_id=person.id, kind="issue", path=path,
                   state=state, created_by_id=staff_a.id, **fields)
        db_session.add(row)
        db_session.flush()
        return row

    case(p["a2"], a, "publicity", "concentrated",
         publicity_ends_on=today - timedelta(days=10))
    c_a3 = case(p["a3"], a, "issued", "concentrated", category="physical", grade=3)
    c_a6 = case(p["a6"], a, "dispatched", "home_visit", category="physical", grade=2)
    c_a7 = case(p["a7"], a, "issued", "records", category="vision", grade=4)
    c_a1 = case(p["a1"], a, "printed", "video", category="hearing", grade=4)
    case(p["b2"], b, "under_review", "concentrated", review_due_on=today - timedelta(days=3))
    case(p["b3"], b, "approved", "home_visit", category="mental", grade=2,
         approved_at=datetime.now(UTC) - timedelta(days=20))

    batch = PrintBatch(state="printed", issue_date=today - timedelta(days=40),
                       created_by_id=admin.id)
    db_session.add(batch)
    db_session.flush()
    sent = DispatchBatch(township_id=a.id, sent_count=3, sent_by_id=admin.id,
                         sent_on=today - timedelta(days=25), received_by_id=staff_a.id,
                         received_on=today - timedelta(days=20), received_count=3,
                         received_at=datetime.now(UTC) - timedelta(days=20))
    db_session.add(sent)
    db_session.flush()

    def certificate(c, person, n, *, dispatched=True, status="valid", handed=False):
        cert = Certificate(
            township_id=a.id, case_id=c.id, person_id=person.id,
            number=person.id_number + "43", category=c.category, grade=c.grade,
            issue_date=today - timedelta(days=40), expires_on=today + timedelta(days=3600),
            status=status, token=f"dash-token-{n}", print_batch_id=batch.id,
            printed_on=today - timedelta(days=40),
            dispatch_batch_id=sent.id if dispatched else None,
        )
        db_session.add(cert)
        db_session.flush()
        if handed:
            db_session.add(Handover(township_id=a.id, certificate_id=cert.id,
                                    receiver_name=person.name, relation="self",
                                    handed_on=today - timedelta(days=10),
                                    handed_by_id=staff_a.id))
            db_session.flush()
        return cert

    certificate(c_a3, p["a3"], 1, handed=True)
    certificate(c_a6, p["a6"], 2)
    certificate(c_a7, p["a7"], 3, status="cancelled", handed=True)
    certificate(c_a1, p["a1"], 4, dispatched=False)
    db_session.flush()
    return Population(today, campaign, a, b, admin, supervisor, staff_a, liaison_a, p)
