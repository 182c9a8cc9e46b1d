"""The dashboards count the cases found by a campaign survey and those that came on their own
(walk-ins, hospital bookings), per township and for the city."""
from __future__ import annotations

import re

from portal.cases.models import Case
from portal.dashboards.services import city_dashboard, township_dashboard
from portal.tenancy import access_for
from tests.cases.helpers import text


def _cases(db_session, make_township, make_user, make_person):
    a, b = make_township(code="origa"), make_township(code="origb")
    staff = make_user("township_staff", a)
    for township, origins in ((a, ["survey", "survey", "walk_in", "hospital_booking"]),
                              (b, ["survey", "walk_in", "walk_in"])):
        for n, origin in enumerate(origins):
            person = make_person(township, name=f"人{n}", list_kind=None)
            db_session.add(Case(township_id=township.id, person_id=person.id, kind="issue",
                                path="hospital" if origin == "hospital_booking" else "records",
                                state="issued" if n == 0 else "registered", origin=origin,
                                created_by_id=staff.id))
    db_session.flush()
    return a, b, staff


def test_city_and_township_count_survey_and_own_cases(db_session, make_township, make_user,
                                                      make_person, clock):
    a, b, staff = _cases(db_session, make_township, make_user, make_person)
    admin = make_user("city_admin")
    dash = city_dashboard(access_for(admin, None), None, clock.day, 0)
    lines = {line.key: line for line in dash.lines}
    assert (lines[a.id].found_by_survey, lines[a.id].came_on_their_own) == (2, 2)
    assert lines[a.id].origins == {"survey": 2, "walk_in": 1, "hospital_booking": 1}
    assert (lines[b.id].found_by_survey, lines[b.id].came_on_their_own) == (1, 2)
    assert (dash.total.found_by_survey, dash.total.came_on_their_own) == (3, 4)
    own = township_dashboard(access_for(staff, a), a, None, clock.day, 0)
    assert (own.total.found_by_survey, own.total.came_on_their_own) == (2, 2)


def test_pages_show_where_the_cases_came_from(db_session, make_township, make_user,
                                              make_person, client, login_as, clock):
    a, b, staff = _cases(db_session, make_township, make_user, make_person)
    login_as(make_user("supervisor"))
    page = text(client.get("/city/dashboard/"))
    table = re.search(r'<table class="table table-sm" id="origins-table">(.*?)</table>', page,
                      re.DOTALL).group(1)
    cells = [re.sub(r"<[^>]+>", " ", row).split()
             for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.DOTALL)[1:]]
    assert [a.name, "2", "2", "1", "1", "4"] in cells
    assert [b.name, "1", "2", "2", "0", "3"] in cells
    assert ["Whole", "city", "3", "4", "3", "1", "7"] in cells
    login_as(staff)
    page = text(client.get(f"/t/{a.code}/dashboard/"))
    assert "Where the cases came from" in page and 'id="origins-table"' in page


def test_export_has_the_origins_sheet(db_session, make_township, make_user, make_person,
                                      client, login_as, clock):
    from io import BytesIO

    from openpyxl import load_workbook

    a, _b, _staff = _cases(db_session, make_township, make_user, make_person)
    login_as(make_user("supervisor"))
    book = load_workbook(BytesIO(client.get("/city/dashboard/export.xlsx").data))
    rows = {r[0]: r[1:] for r in book["Where the cases came from"].iter_rows(
        min_row=2, values_only=True)}
    assert rows[a.name] == (2, 2, 1, 1, 4)
    assert rows["Total"] == (3, 4, 3, 1, 7)
