"""The doctor pool's figures: certified doctors per category and hospital against the same day
a year earlier (a renewed or switched-off certification still counts for the day it covered),
and the coming concentrated days short of doctors."""
from datetime import date, timedelta

import pytest

from portal.clock import local_today
from portal.doctors.services import CertificationData, save_certification
from portal.reference.models import ConcentratedDay, Hospital
from portal.tenancy import access_for
from portal.training.pool import certified, needs, one_year_before
from tests.training.helpers import pass_training


@pytest.fixture
def other_hospital(db_session):
    h = Hospital(name="测试县医院")
    db_session.add(h)
    db_session.flush()
    return h


@pytest.fixture
def pool(db_session, make_user, certify, hospital, other_hospital):
    """Five doctors whose certifications tell five stories."""
    today = local_today()
    coordinator = make_user("health_coordinator")
    doctors = {name: make_user("doctor", username=f"pool_{name}") for name in
               ("veteran", "newcomer", "expired", "renewed", "switched_off")}
    # Certified for two years and for five more: counts now and a year ago.
    certify(doctors["veteran"], ["physical", "vision"], valid_from=today - timedelta(days=730),
            valid_until=today + timedelta(days=1800))
    # Certified 100 days ago: counts now only.
    certify(doctors["newcomer"], ["physical"], valid_from=today - timedelta(days=100))
    # Expired a month ago, at the other hospital: counts a year ago only.
    cert = certify(doctors["expired"], ["hearing"], valid_from=today - timedelta(days=900),
                   valid_until=today - timedelta(days=30))
    cert.hospital_id = other_hospital.id
    # Expired ten days ago and renewed today with a new period and one more category (passed
    # in training): a year ago it counted for physical at the other hospital, today for
    # physical and intellectual at the first.
    old = certify(doctors["renewed"], ["physical"], valid_from=today - timedelta(days=800),
                  valid_until=today - timedelta(days=10))
    old.hospital_id = other_hospital.id
    pass_training(db_session, doctors["renewed"], ["physical", "intellectual"])
    save_certification(doctors["renewed"], coordinator, CertificationData(
        number=old.number, hospital_id=hospital.id, categories=["physical", "intellectual"],
        valid_from=today, valid_until=today + timedelta(days=1800)))
    # Switched off today: it counted a year ago, not now.
    off = certify(doctors["switched_off"], ["mental"], valid_from=today - timedelta(days=500),
                  valid_until=today + timedelta(days=500))
    save_certification(doctors["switched_off"], coordinator, CertificationData(
        number=off.number, hospital_id=hospital.id, categories=["mental"],
        valid_from=off.valid_from, valid_until=off.valid_until, active=False))
    db_session.flush()
    return doctors


def test_certified_per_category_and_hospital_against_a_year_ago(pool, hospital,
                                                                other_hospital):
    figures = certified(local_today())
    assert figures.year_ago == one_year_before(local_today())
    counts = {c: (n.now, n.last_year) for c, n in figures.by_category.items()}
    assert counts == {"physical": (3, 2), "vision": (1, 1), "hearing": (0, 1),
                      "intellectual": (1, 0), "mental": (0, 1), "speech": (0, 0),
                      "multiple": (0, 0)}
    assert (figures.doctors.now, figures.doctors.last_year) == (3, 4)
    first, other = figures.cell(hospital.id, "physical"), figures.cell(other_hospital.id,
                                                                       "physical")
    assert (first.now, first.last_year) == (3, 1)
    assert (other.now, other.last_year) == (0, 1)
    assert figures.cell(other_hospital.id, "hearing").last_year == 1
    assert [h.id for h in figures.hospitals] == sorted(
        [hospital.id, other_hospital.id],
        key=lambda i: {hospital.id: hospital.name, other_hospital.id: other_hospital.name}[i])


def test_a_year_before_the_29th_of_february():
    assert one_year_before(date(2024, 2, 29)) == date(2023, 2, 28)
    assert one_year_before(date(2026, 12, 5)) == date(2025, 12, 5)


def _day(db_session, township, on, **capacities):
    day = ConcentratedDay(township_id=township.id, day=on,
                          **{f"capacity_{c}": n for c, n in capacities.items()})
    db_session.add(day)
    db_session.flush()
    return day


def test_coming_days_short_of_doctors(app, db_session, pool, make_township, make_user,
                                      monkeypatch):
    monkeypatch.setitem(app.config, "ASSESSMENTS_PER_DOCTOR_PER_DAY", 20)
    monkeypatch.setitem(app.config, "DOCTOR_POOL_HORIZON_DAYS", 60)
    today = local_today()
    soon, later = today + timedelta(days=10), today + timedelta(days=20)
    a, b = make_township(), make_township()
    # On `soon` two townships together need ceil(80 / 20) = 4 physical doctors; 3 are
    # certified. One vision doctor is needed for 10 places and one is certified.
    _day(db_session, a, soon, physical=50, vision=10)
    _day(db_session, b, soon, physical=30)
    # On `later` 40 intellectual places need 2 doctors; 1 is certified.
    _day(db_session, a, later, intellectual=40)
    # Not counted: a cancelled day, a day past the horizon, a day already over.
    _day(db_session, b, later, mental=100).status = "cancelled"
    _day(db_session, b, today + timedelta(days=90), hearing=100)
    _day(db_session, b, today - timedelta(days=3), hearing=100)
    db_session.flush()

    found = needs(access_for(make_user("supervisor"), None), today)
    assert [d.day for d in found.days] == [soon, later]
    first = found.days[0]
    assert {c: (n.places, n.needed, n.available) for c, n in first.by_category.items()} == {
        "physical": (80, 4, 3), "vision": (10, 1, 1)}
    assert (first.total.needed, first.total.available) == (5, 3)
    short = {s.category: (s.dates, s.worst_need.short) for s in found.shortfalls}
    assert short == {"physical": ([soon], 1), "intellectual": ([later], 1)}


def test_pool_page_and_dashboard_card(client, login_as, db_session, pool, make_township,
                                      make_user, english):
    township = make_township()
    _day(db_session, township, local_today() + timedelta(days=7), intellectual=40)
    login_as(make_user("supervisor"))
    page = client.get("/city/training/pool").get_data(as_text=True)
    assert 'id="shortfalls"' in page
    row = page[page.index('<tr data-category="intellectual">'):]
    assert row[:row.index("</tr>")].count("<td") == 6
    total = page[page.index('id="certified-total"'):]
    assert 'data-category="physical">3 <span class="text-muted">/ 2' in total
    dashboard = client.get("/city/dashboard/").get_data(as_text=True)
    card = dashboard[dashboard.index('id="doctor-pool"'):]
    assert 'id="doctor-shortfall"' in card and "Intellectual" in card
    assert "/city/training/pool" in card


def test_who_reaches_the_training_pages(client, login_as, make_user, make_township):
    login_as(make_user("supervisor"))
    assert client.get("/city/training/pool").status_code == 200
    assert client.get("/city/training").status_code == 403
    assert client.get("/city/training/new").status_code == 403
    login_as(make_user("health_coordinator"))
    assert client.get("/city/training").status_code == 200
    assert client.get("/city/training/new").status_code == 200
    login_as(make_user("township_staff", make_township()))
    assert client.get("/city/training/pool").status_code == 404
    login_as(make_user("doctor"))
    assert client.get("/city/training").status_code == 404


def test_the_session_list_pages(client, login_as, make_user, db_session, monkeypatch,
                                english):
    monkeypatch.setattr("portal.training.views.PER_PAGE", 2)
    doctor = make_user("doctor")
    for n in range(3):
        pass_training(db_session, doctor, held_on=local_today() - timedelta(days=10 + n))
    login_as(make_user("health_coordinator"))
    first = client.get("/city/training").get_data(as_text=True)
    assert first.count("/city/training/") >= 2 and 'rel="next"' in first
    second = client.get("/city/training?page=2").get_data(as_text=True)
    assert 'rel="prev"' in second and 'rel="next"' not in second
    oldest = (local_today() - timedelta(days=12)).isoformat()
    assert oldest in second and oldest not in first
