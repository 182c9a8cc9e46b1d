"""The expiring list: horizon and order, one-click renewal, the call list and its hook, the
dashboards' count."""
from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from portal.expiring.services import holders_due_notice
from tests.expiring.conftest import TODAY


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _names(page: str) -> list[str]:
    """Holder names in the order the page lists them."""
    return re.findall(r"持证(\w+)", page)


def test_the_list_shows_the_horizon_sorted_by_date(holders, client, login_as):
    w = holders
    login_as(w.staff)
    url = f"/t/{w.t.code}/expiring/"
    page = _text(client.get(url))
    assert _names(page) == ["in30", "with_case", "in100"]  # 180 days by default
    assert f"Case #{w.case.id} open" in page
    year = _text(client.get(url, query_string={"days": "365"}))
    assert _names(year) == ["in30", "with_case", "in100", "in200"]
    latest = _text(client.get(url, query_string={"days": "365", "order": "latest"}))
    assert _names(latest) == ["in200", "in100", "with_case", "in30"]
    month = _text(client.get(url, query_string={"days": "31"}))
    assert _names(month) == ["in30"] and "notice due" in month


def test_a_wrong_horizon_is_said_next_to_the_field(holders, client, login_as):
    w = holders
    login_as(w.staff)
    for wrong in ("0", "9999", "abc"):
        response = client.get(f"/t/{w.t.code}/expiring/", query_string={"days": wrong})
        assert response.status_code == 400
        page = _text(response)
        assert 'id="days-error"' in page
        assert _names(page) == ["in30", "with_case", "in100"]  # the default applies


def test_one_click_opens_the_renewal_case(holders, client, post, login_as, db_session):
    w = holders
    login_as(w.staff)
    person = w.p["in100"]
    page = _text(client.get(f"/t/{w.t.code}/expiring/"))
    # A bedridden holder's renewal is suggested as a home visit.
    assert re.search(rf'id="path-{person.id}">.*?<option value="home_visit" selected',
                     page, re.DOTALL)
    response = post(f"/t/{w.t.code}/expiring/{person.id}/renew", data={"path": "home_visit"})
    assert response.status_code == 303
    case = db_session.scalars(select(Case).where(Case.person_id == person.id)).one()
    assert (case.kind, case.path, case.state) == ("renewal", "home_visit", "registered")
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "expiring.renewal_started")).one().object_id == case.id
    # A second click is refused with words, and opens nothing.
    again = post(f"/t/{w.t.code}/expiring/{person.id}/renew", data={"path": "concentrated"},
                 headers={"Referer": f"http://localhost/t/{w.t.code}/expiring/"},
                 follow_redirects=True)
    assert f"Case #{case.id} of this person is already open" in _text(again)
    assert len(db_session.scalars(select(Case).where(Case.person_id == person.id)).all()) == 1
    assert f"Case #{case.id} open" in _text(client.get(f"/t/{w.t.code}/expiring/"))


def test_renewal_is_refused_for_a_person_who_left_and_reaches_no_other_township(
        holders, client, post, login_as, db_session):
    w = holders
    login_as(w.staff)
    refused = post(f"/t/{w.t.code}/expiring/{w.p['left'].id}/renew",
                   data={"path": "concentrated"}, headers={"Accept": "application/json"})
    assert refused.status_code == 409
    assert refused.get_json()["error"] == "renewal_person_left_county"
    foreign = post(f"/t/{w.t.code}/expiring/{w.p['other'].id}/renew",
                   data={"path": "concentrated"})
    assert foreign.status_code == 404
    assert db_session.scalars(select(Case).where(Case.kind == "renewal")).all() == [w.case]


def test_the_call_list_and_the_outbox_hook_list_the_same_holders(holders, client, login_as,
                                                                 db_session):
    w = holders
    due = holders_due_notice(today=TODAY)
    assert {(d.person_id, d.days_left) for d in due} == {(w.p["in30"].id, 30),
                                                        (w.p["other"].id, 10)}
    # Fifteen days on: the 100-day certificate enters the notice window, the other
    # township's has expired.
    later = holders_due_notice(today=TODAY + timedelta(days=15))
    assert {(d.person_id, d.days_left) for d in later} == {(w.p["in30"].id, 15),
                                                          (w.p["in100"].id, 85)}
    login_as(w.staff)
    page = _text(client.get(f"/t/{w.t.code}/expiring/call-list"))
    assert _names(page) == ["in30"]
    assert w.p["in30"].phone in page and w.p["in30"].guardian_phone in page
    assert "1 holder(s) to call." in page
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "expiring.call_list")).one()
    assert event.details == {"rows": 1, "phones_in_clear": True}
    assert w.p["in30"].phone not in str(event.details)


def test_the_dashboards_show_the_counts(holders, client, login_as, make_user):
    w = holders
    login_as(w.staff)
    page = _text(client.get(f"/t/{w.t.code}/dashboard/"))
    assert ("Expiring within 180 days: 3; due their notice (within 90 days, no case open): "
            "1; expired and not renewed: 1.") in page
    login_as(make_user("supervisor"))
    city = _text(client.get("/city/dashboard/"))
    table = city[city.index('id="expiring-table"'):]
    row = table[table.index(f'data-unit="{w.u.code}"'):]
    assert re.match(r'data-unit="[^"]+"><th scope="row">[^<]+</th>\s*<td>1</td><td>1</td>'
                    r'<td>0</td>', row), row[:300]
    assert "Expiring within 180 days: 4;" in city
