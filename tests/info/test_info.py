"""The public information page /info: no login, this week's concentrated days by the portal's
clock, the campaign's coming days, Open Graph tags, its size; edited by the city administrator
only, sanitised; the poster."""
from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.info.models import InfoPage
from portal.reference.models import Campaign, ConcentratedDay, Hospital
from tests.cases.helpers import text

TODAY = date(2026, 12, 9)  # a Wednesday: its week runs from Monday 7 to Sunday 13 December
STATIC = Path(__file__).resolve().parents[2] / "portal" / "static"


@pytest.fixture(autouse=True)
def _english(english):
    return english


@pytest.fixture
def schedule(app, db_session, make_township, monkeypatch):
    """An active campaign with days this week, next week and last week, and a day of a
    closed campaign this week; the portal's clock at TODAY."""
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", TODAY)
    active = Campaign(code="info-active", name="本年度办证活动", status="active")
    closed = Campaign(code="info-closed", name="往年活动", status="closed")
    hospital = Hospital(name="信息页测试医院")
    db_session.add_all([active, closed, hospital])
    db_session.flush()
    east, west = make_township(), make_township()

    def day(township, when, campaign, **capacity):
        row = ConcentratedDay(township_id=township.id, day=when, campaign_id=campaign.id,
                              **capacity)
        row.hospitals.append(hospital)
        db_session.add(row)
        return row

    day(east, TODAY + timedelta(days=1), active, capacity_physical=20, capacity_vision=5)
    day(west, TODAY - timedelta(days=2), active, capacity_hearing=10)  # Monday: this week
    day(west, TODAY + timedelta(days=7), active, capacity_mental=8)  # next week
    day(east, TODAY - timedelta(days=7), active, capacity_speech=3)  # last week
    day(make_township(), TODAY, closed, capacity_physical=1)
    db_session.flush()
    return {"east": east, "west": west, "hospital": hospital}


def _week_section(page: str) -> str:
    start = page.index("Concentrated days this week")
    return page[start:page.index("</section>", start)]


def test_info_shows_this_weeks_days_without_login(client, schedule):
    response = client.get("/info")
    assert response.status_code == 200
    page = text(response)
    week = _week_section(page)
    east, west = schedule["east"].name, schedule["west"].name
    assert "2026-12-07 to 2026-12-13" in week
    assert "2026-12-10" in week and east in week and "信息页测试医院" in week
    assert "Physical" in week and "Vision" in week
    assert "2026-12-07" in week and west in week and "Hearing" in week
    assert "2026-12-16" not in week and "2026-12-02" not in week
    assert "2026-12-09" not in week  # the closed campaign's day
    schedule_part = page[page.index("Coming concentrated days, by township"):]
    assert "2026-12-16" in schedule_part and "Mental" in schedule_part
    assert "2026-12-02" not in schedule_part


def test_info_moves_with_the_portal_clock(client, schedule, app, monkeypatch):
    monkeypatch.setitem(app.config, "CLOCK_FIXED_TODAY", TODAY + timedelta(days=7))
    week = _week_section(text(client.get("/info")))
    assert "2026-12-16" in week and "2026-12-10" not in week


def test_info_has_open_graph_tags_and_the_default_text(client, schedule):
    page = text(client.get("/info"))
    for prop in ("og:title", "og:description", "og:url", "og:type"):
        assert f'property="{prop}"' in page
    assert '<meta property="og:url" content="http://localhost/info">' in page
    assert "Who may apply" in page and "What to bring" in page and "None." in page
    assert "Home visit or video assessment" in page and "Objections and petitions" in page


def test_info_page_and_its_stylesheet_weigh_under_100_kb(client, schedule, make_township,
                                                        db_session):
    hospital = schedule["hospital"]
    for n in range(13):  # a county of 13 townships with four coming days each
        township = make_township()
        for k in range(4):
            row = ConcentratedDay(township_id=township.id, day=TODAY + timedelta(days=k),
                                  capacity_physical=5, capacity_mental=5, capacity_vision=5)
            row.hospitals.append(hospital)
            db_session.add(row)
    db_session.flush()
    html = client.get("/info").data
    assets = re.findall(rb'(?:href|src)="(/static/[^"]+)"', html)
    assert assets == [b"/static/public.css"]  # one small stylesheet, no script, no framework
    assert b"<script" not in html
    css = (STATIC / "public.css").stat().st_size
    total = len(html) + css
    print(f"/info: {len(html)} bytes of HTML + {css} bytes of public.css = {total}")
    assert total <= 100 * 1024, f"/info weighs {total} bytes"


def test_the_login_page_links_to_info(client):
    page = text(client.get("/auth/login"))
    assert 'href="/info"' in page


def test_only_the_city_admin_edits_the_page(client, login_as, make_user, make_township,
                                            db_session):
    township = make_township()
    assert client.get("/city/info/edit").status_code == 302  # to the login page
    login_as(make_user("township_staff", township))
    assert client.get("/city/info/edit").status_code == 404
    login_as(make_user("supervisor"))
    assert client.get("/city/info/edit").status_code == 403
    login_as(make_user("city_admin"))
    page = text(client.get("/city/info/edit"))
    assert "## Who may apply" in page  # the default text, ready to edit
    assert db_session.scalars(select(InfoPage)).all() == []


def test_the_city_admins_text_is_saved_sanitised(client, login_as, make_user, post,
                                                 db_session, schedule):
    admin = login_as(make_user("city_admin"))
    body = ("## 办证须知\n\n带好身份证。<script>alert('x')</script>\n\n"
            "[点这里](javascript:alert(1)) <img src=x onerror=alert(2)> "
            "<a href=\"https://example.org\" onclick=\"steal()\">链接</a>\n\n"
            "| 乡镇 | 电话 |\n|---|---|\n| 芒市镇 | 2121234 |\n")
    response = post("/city/info/edit", data={"title": "芒市残疾人证办理", "summary": "免费办理。",
                                             "hotline": "0692-2121234", "body": body})
    assert response.status_code == 302
    saved = db_session.scalars(select(InfoPage)).one()
    assert saved.body_markdown == body and saved.edited_by_id == admin.id
    page = client.get("/info").get_data(as_text=True)
    assert "芒市残疾人证办理" in page and "带好身份证。" in page and "<h2>办证须知</h2>" in page
    assert "<table>" in page and "芒市镇" in page
    county = page[page.index('<div class="county-text">'):page.index("</div>",
                                                                     page.index("county-text"))]
    # The script goes with its content; a javascript: link is no link (its text stays).
    for bad in ("<script", "alert('x')", "alert(2)", 'href="javascript', "onerror", "onclick",
                "<img"):
        assert bad not in county, bad
    assert 'href="https://example.org"' in county and 'rel="noopener noreferrer"' in county
    assert 'href="tel:0692-2121234"' not in page and 'href="tel:06922121234"' in page
    audit = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "info.updated")).one()
    assert audit.actor_id == admin.id


def test_an_empty_field_is_refused_next_to_it(client, login_as, make_user, post, db_session):
    login_as(make_user("city_admin"))
    response = post("/city/info/edit", data={"title": "", "summary": "免费办理。",
                                             "hotline": "", "body": "正文"})
    assert response.status_code == 400
    page = text(response)
    assert "Write the title." in page and "Write the hotline." in page
    assert db_session.scalars(select(InfoPage)).all() == []


def test_the_poster_carries_the_qr_and_a_townships_days(client, schedule):
    page = text(client.get("/info/poster"))
    assert 'src="data:image/svg+xml' in page and "http://localhost/info" in page
    assert schedule["east"].name in page and schedule["west"].name in page
    one = text(client.get(f"/info/poster?township={schedule['west'].code}"))
    assert schedule["west"].name in one and "2026-12-16" in one
    assert "2026-12-10" not in one
    assert client.get("/info/poster?township=nowhere").status_code == 404
