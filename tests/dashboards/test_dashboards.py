"""Dashboard figures against hand-computed values (see conftest.py), permissions, exports."""
from __future__ import annotations

import json
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests.dashboards.conftest import EXPECTED, EXPECTED_OVERDUE, EXPECTED_VILLAGES


def _city(population, max_age=300):
    from portal.dashboards.services import city_dashboard
    from portal.tenancy import access_for

    access = access_for(population.admin, None)
    return city_dashboard(access, population.campaign, population.today, max_age)


def _lines(dash, population):
    return {line.key: line for line in dash.lines}


def test_split_proportionally_adds_up():
    from portal.dashboards.services import split_proportionally

    assert split_proportionally(100, {"a": 6, "b": 3}) == {"a": 67, "b": 33}
    assert split_proportionally(10, {"a": 0, "b": 0}) == {"a": 5, "b": 5}
    assert sum(split_proportionally(23_900, {i: i + 1 for i in range(13)}).values()) == 23_900


def test_city_figures_match_the_hand_count(population):
    dash = _city(population)
    lines = _lines(dash, population)
    for label, township in (("A", population.a), ("B", population.b)):
        line = lines[township.id]
        assert {k: line.get(k) for k in EXPECTED[label]} == EXPECTED[label], label
        assert {k: line.overdue.get(k, 0) for k in EXPECTED_OVERDUE[label]} == \
            EXPECTED_OVERDUE[label], label
    assert dash.total.get("certified") == 4
    assert dash.total.get("renewed") == 1 and dash.total.renewal_pending == 3
    assert dash.total.get("poverty_uncertified") == 2
    # No estimates set: the campaign's 100 split 6 : 3 by recorded persons.
    assert (lines[population.a.id].estimate, lines[population.b.id].estimate) == (67, 33)
    assert dash.estimates_defaulted and dash.total.estimate == 100
    assert dash.total.rate == pytest.approx(0.04)
    assert lines[population.a.id].rate == pytest.approx(3 / 67)
    assert [lines[population.a.id].rank, lines[population.b.id].rank] == [1, 2]
    assert dash.cases == {
        "publicity": {"concentrated": 1}, "issued": {"concentrated": 1, "records": 1},
        "dispatched": {"home_visit": 1}, "printed": {"video": 1},
        "under_review": {"concentrated": 1}, "approved": {"home_visit": 1},
    }
    fifty, sixty = dash.targets
    assert (fifty.needed, fifty.missing, sixty.needed, sixty.missing) == (50, 46, 60, 56)
    assert fifty.calendar_days == (fifty.deadline - population.today).days
    assert dash.current_phase.code == "issuance"
    assert dash.baseline_rate == pytest.approx(0.4)


def test_township_figures_per_village(population):
    from portal.dashboards.services import township_dashboard
    from portal.tenancy import access_for

    access = access_for(population.staff_a, population.a)
    dash = township_dashboard(access, population.a, population.campaign, population.today, 300)
    by_name = {line.name: line for line in dash.lines}
    for name, expected in EXPECTED_VILLAGES.items():
        assert {k: by_name[name].get(k) for k in expected} == expected
    assert dash.total.get("certified") == 3 and dash.total.estimate == 67
    # The township's 67 split 4 : 2 over its villages.
    assert (by_name["一村"].estimate, by_name["二村"].estimate) == (45, 22)
    assert dash.total.overdue == {k: v for k, v in EXPECTED_OVERDUE["A"].items() if v}


def test_estimates_are_versioned_and_used(population, client, login_as, post, db_session):
    from portal.dashboards.models import TownshipEstimate

    login_as(population.admin)
    url = "/city/dashboard/estimates"
    bad = post(url, data={"township": population.a.id, "estimated_disabled": "-3"})
    assert bad.status_code == 200 and "0 至 10,000,000 之间的整数" in bad.get_data(as_text=True)
    for value in (12, 10):
        response = post(url, data={"township": population.a.id, "estimated_disabled": value,
                                   "note": "抽样调查"})
        assert response.status_code == 302
    rows = db_session.query(TownshipEstimate).order_by(TownshipEstimate.id).all()
    assert [r.estimated_disabled for r in rows] == [12, 10]
    assert all(r.set_by_id == population.admin.id and r.set_at for r in rows)
    dash = _city(population)
    lines = _lines(dash, population)
    # A's set 10; B takes what the campaign's 100 leaves: 90.
    assert (lines[population.a.id].estimate, lines[population.b.id].estimate) == (10, 90)
    assert lines[population.a.id].estimate_set and not lines[population.b.id].estimate_set
    assert lines[population.a.id].rate == pytest.approx(0.3)
    page = client.get(url).get_data(as_text=True)
    assert "抽样调查" in page and "dash_admin" in page


def test_city_page_shows_figures_and_chart_data(population, client, login_as):
    login_as(population.supervisor)
    page = client.get("/city/dashboard/").get_data(as_text=True)
    assert re.search(r'id="fig-certified">\s*4\s*<', page)
    assert re.search(r'id="fig-rate">\s*4\.0%', page)
    data = json.loads(re.search(r'<script type="application/json" id="dashboard-data">(.*?)'
                                r'</script>', page, re.DOTALL).group(1))
    assert data["rates"] == [round(3 / 67 * 100, 1), round(1 / 33 * 100, 1)]
    assert [t["rate"] for t in data["targets"]] == [50.0, 60.0]
    assert "<script>" not in page and "vendor/chartjs/chart.umd.min.js" in page
    assert 'id="units-table"' in page and 'id="overdue-table"' in page


def test_export_contains_the_same_figures(population, english, login_as):
    login_as(population.supervisor)
    response = english.get("/city/dashboard/export.xlsx")
    assert response.status_code == 200
    wb = load_workbook(BytesIO(response.data))
    rows = {r[0]: r for r in wb["Holding rate"].iter_rows(min_row=2, values_only=True)}
    a, b, total = rows[population.a.name], rows[population.b.name], rows["Total"]
    assert a[1:5] == (67, "default share", 3, round(3 / 67, 4))
    # ... then poverty-registered holders of expired certificates, renewed, left (a2 only).
    assert a[6:] == (3, 1, 2, 2, 1, 1, 0, 1)
    assert b[3] == 1 and b[9:] == (2, 1, 0, 0, 0)
    assert total[1] == 100 and total[3] == 4 and total[4] == 0.04
    overdue = {r[0]: r[1:] for r in wb["Overdue work"].iter_rows(min_row=2, values_only=True)}
    assert overdue[population.a.name] == tuple(EXPECTED_OVERDUE["A"].values())
    assert overdue[population.b.name] == tuple(EXPECTED_OVERDUE["B"].values())
    targets = list(wb["Targets"].iter_rows(min_row=2, values_only=True))
    assert [(t[0], t[2], t[3]) for t in targets] == [(0.5, 50, 46), (0.6, 60, 56)]
    printed = english.get("/city/dashboard/print").get_data(as_text=True)
    assert re.search(r'id="fig-certified">\s*4\s*<', printed) and "dashboard-data" not in printed


def test_township_staff_cannot_see_the_city_dashboard(population, client, login_as):
    login_as(population.staff_a)
    for url in ("/city/dashboard/", "/city/dashboard/export.xlsx", "/city/dashboard/print",
                "/city/dashboard/estimates", "/city/dashboard/list?kind=poverty_uncertified"):
        assert client.get(url).status_code == 404, url
    assert client.get(f"/t/{population.b.code}/dashboard/").status_code == 404
    own = client.get(f"/t/{population.a.code}/dashboard/")
    assert own.status_code == 200 and "一村" in own.get_data(as_text=True)


def test_liaison_gets_no_township_dashboard(population, client, login_as):
    login_as(population.liaison_a)
    assert client.get(f"/t/{population.a.code}/dashboard/").status_code == 403


def test_supervisor_reads_everything_and_changes_nothing(population, client, login_as, post):
    login_as(population.supervisor)
    for url in ("/city/dashboard/", "/city/dashboard/estimates", "/city/dashboard/print",
                f"/t/{population.a.code}/dashboard/", f"/t/{population.b.code}/dashboard/"):
        assert client.get(url).status_code == 200, url
    assert post("/city/dashboard/estimates", data={
        "township": population.a.id, "estimated_disabled": 5}).status_code == 403
    assert post("/city/dashboard/refresh").status_code == 403
    page = client.get("/city/dashboard/estimates").get_data(as_text=True)
    assert 'name="estimated_disabled"' not in page


def test_drill_down_lists_masked_persons(population, client, login_as):
    login_as(population.supervisor)
    page = client.get("/city/dashboard/list?kind=poverty_uncertified").get_data(as_text=True)
    a2, b2 = population.persons["a2"], population.persons["b2"]
    assert a2.name in page and b2.name in page
    assert population.persons["a4"].name not in page  # certified
    assert population.persons["a5"].name not in page  # deceased
    assert a2.id_number not in page and a2.id_number[:3] in page
    assert "13800001234" not in page
    only_b = client.get(f"/city/dashboard/list?kind=poverty_uncertified&township="
                        f"{population.b.id}").get_data(as_text=True)
    assert b2.name in only_b and a2.name not in only_b
    pending = client.get(f"/t/{population.a.code}/dashboard/list?kind=renewal_pending")
    names = pending.get_data(as_text=True)
    assert population.persons["a2"].name in names and population.persons["a7"].name in names
    assert population.persons["a3"].name not in names
    assert client.get("/city/dashboard/list?kind=everyone").status_code == 404


def test_figures_are_kept_until_stale_or_refreshed(population, client, login_as, post,
                                                   make_person, db_session):

    from portal.dashboards.figures import mark_stale

    login_as(population.admin)
    client.get("/city/dashboard/")
    # A change made around the ORM (as bulk tools do) is not seen until marked stale.
    _insert_holder_directly(db_session, population, "乙四", 4101)
    assert _lines(_city(population), population)[population.b.id].get("certified") == 1
    mark_stale(population.b.id)
    assert _lines(_city(population), population)[population.b.id].get("certified") == 2
    _insert_holder_directly(db_session, population, "乙五", 4102)
    assert post("/city/dashboard/refresh").status_code == 302
    assert _lines(_city(population), population)[population.b.id].get("certified") == 3
    assert _lines(_city(population, max_age=0), population)[population.b.id].get(
        "certified") == 3


def _insert_holder_directly(db_session, population, name, seq):
    """A certificate holder written with a Core INSERT, bypassing the session's flush."""
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy import insert, select

    from portal.domain import idcard
    from portal.rosters.models import Person

    number = idcard.make("533103", date(1950, 3, 3), seq % 1000)
    db_session.connection().execute(insert(Person.__table__).values(
        township_id=population.b.id, name=name, name_pinyin="", name_initials="",
        gender="male" if seq % 2 else "female", ethnicity="", id_number=number,
        id_reversed=number[::-1], birth_date=date(1950, 3, 3), phone="", address="",
        mobility="can_travel", poverty_registered=False, deceased=False, guardian_name="",
        guardian_phone="", certificate_expires_on=population.today + timedelta(days=30)))
    from portal.register.models import HolderEntry

    person_id = db_session.connection().execute(
        select(Person.id).where(Person.id_number == number)).scalar_one()
    db_session.connection().execute(insert(HolderEntry.__table__).values(
        township_id=population.b.id, person_id=person_id, certificate_number=number + "41",
        category="physical", grade=1, expires_on=population.today + timedelta(days=30),
        source="national_db", created_at=datetime.now(UTC), updated_at=datetime.now(UTC)))


def test_changes_through_the_portal_mark_the_figures_stale(population, client, login_as,
                                                           make_person, db_session):
    """Any person, roster, case or certificate change refreshes its township's figures."""
    from datetime import timedelta

    login_as(population.admin)
    client.get("/city/dashboard/")
    before = _lines(_city(population), population)[population.b.id].get("certified")
    person = make_person(population.b, name="乙六", list_kind=None,
                         certificate_expires_on=population.today + timedelta(days=30))
    # On the person row alone a certificate does not count: the register holds the holders.
    assert _lines(_city(population), population)[population.b.id].get("certified") == before
    from portal.register.models import HolderEntry

    db_session.add(HolderEntry(
        township_id=person.township_id, person_id=person.id,
        certificate_number=person.id_number + "41", category="physical", grade=1,
        expires_on=population.today + timedelta(days=30), source="manual"))
    db_session.flush()
    assert _lines(_city(population), population)[population.b.id].get("certified") == before + 1
