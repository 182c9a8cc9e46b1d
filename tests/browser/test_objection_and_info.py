"""In a real browser the size of a small phone: a villager opens a printed notice's public page
(the address its QR carries), objects to a listed result with a photo, and the case is held at
the end of the notice; /info shows this week's concentrated day and fits 375 px."""
from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest

from tests.browser.test_accessibility import _axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::ResourceWarning")]

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 256


def _no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px phone"


@pytest.fixture
def live_notice(live_server):
    """A person of Mangshi town whose result is on public notice in a village from today."""
    from portal.auth.models import User
    from portal.cases.effects import PUBLICITY_WORKDAYS
    from portal.cases.models import Case
    from portal.clock import local_today
    from portal.domain import idcard
    from portal.domain.workdays import add_workdays
    from portal.extensions import db
    from portal.objections.notices import notice_address
    from portal.reference.models import Township, Village
    from portal.rosters.models import Person

    with live_server.app.app_context():
        town = db.session.scalars(db.select(Township).filter_by(code="mangshi")).one()
        staff = db.session.scalars(db.select(User).filter_by(
            username="live_township_staff")).one()
        village = Village(township_id=town.id, name=f"公示村{secrets.token_hex(2)}")
        db.session.add(village)
        db.session.flush()
        number = idcard.make("533103", date(1961, 5, 6), 100 + secrets.randbelow(800))
        person = Person(township_id=town.id, village_id=village.id, name="岩应",
                        gender=idcard.parse(number).gender, id_number=number,
                        id_reversed=number[::-1], birth_date=date(1961, 5, 6),
                        phone="13987654321", address="勐焕路9号")
        db.session.add(person)
        db.session.flush()
        today = local_today()
        case = Case(township_id=town.id, person_id=person.id, kind="issue",
                    path="concentrated", state="publicity", created_by_id=staff.id,
                    category="physical", grade=3, publicity_starts_on=today,
                    publicity_ends_on=add_workdays(today, PUBLICITY_WORKDAYS))
        db.session.add(case)
        db.session.commit()
        return {"case_id": case.id, "address": notice_address(village.id, today),
                "number": number, "ends_on": case.publicity_ends_on}


def test_a_villager_objects_from_the_notice_page_on_a_phone(live_server, phone_page,
                                                            live_notice, tmp_path):
    from portal.auth.models import User
    from portal.cases.models import Case
    from portal.cases.services import take_step
    from portal.extensions import db
    from portal.objections.models import Objection
    from portal.reference.models import Township
    from portal.refusals import Refused
    from portal.tenancy import access_for

    page = phone_page
    assert live_notice["address"].startswith(str(live_server))
    page.goto(live_notice["address"])
    assert page.get_by_role("row", name="岩应").is_visible()
    body = page.content()
    for hidden in (live_notice["number"], "13987654321", "勐焕路9号"):
        assert hidden not in body
    page.screenshot(path=str(tmp_path / "notice-375.png"), full_page=True)
    _no_horizontal_scroll(page)
    assert _axe_violations(page) == []

    page.get_by_role("button", name="提交异议").click()  # nothing chosen: said next to it
    assert page.get_by_text("请选择本公示上列出的人员。").is_visible()
    page.get_by_label("第1号：岩应").check()
    page.get_by_label("您为什么有异议？请说明您了解的情况。").fill("他平时上山干活，腿脚没有问题。")
    page.get_by_label("能说明情况的照片或PDF（选填）").set_input_files(
        files=[{"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": JPEG}])
    page.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("您的异议已收到").is_visible()
    assert "腿脚没有问题" not in page.content()
    page.screenshot(path=str(tmp_path / "notice-sent-375.png"), full_page=True)
    _no_horizontal_scroll(page)

    with live_server.app.app_context():
        objection = db.session.scalars(db.select(Objection).filter_by(
            case_id=live_notice["case_id"])).one()
        assert (objection.channel, objection.attachment_type) == ("public_page", "image/jpeg")
        case = db.session.get(Case, live_notice["case_id"])
        staff = db.session.scalars(db.select(User).filter_by(
            username="live_township_staff")).one()
        with pytest.raises(Refused) as refused:
            take_step(case, "end_publicity", actor=staff,
                      access=access_for(staff, db.session.get(Township, case.township_id)),
                      today=live_notice["ends_on"] + timedelta(days=1))
        assert refused.value.code == "objection_open"
        db.session.rollback()


@pytest.fixture
def this_weeks_day(live_server):
    """A concentrated day of Mangshi town today (the live portal's clock), removed after."""
    from portal.clock import local_today
    from portal.extensions import db
    from portal.reference.models import ConcentratedDay, Hospital, Township

    with live_server.app.app_context():
        town = db.session.scalars(db.select(Township).filter_by(code="mangshi")).one()
        hospital = db.session.scalars(db.select(Hospital).order_by(Hospital.id)).first()
        day = db.session.scalars(db.select(ConcentratedDay).filter_by(
            township_id=town.id, day=local_today())).first()
        made = day is None
        if made:
            day = ConcentratedDay(township_id=town.id, day=local_today(),
                                  capacity_physical=30, capacity_hearing=10)
            day.hospitals.append(hospital)
            db.session.add(day)
            db.session.commit()
        shown = (day.day.isoformat(), town.name, hospital.name)
        day_id = day.id
    yield shown
    if made:
        with live_server.app.app_context():
            db.session.delete(db.session.get(ConcentratedDay, day_id))
            db.session.commit()


def test_info_on_a_phone_shows_this_weeks_day_and_fits(live_server, phone_page,
                                                      this_weeks_day, tmp_path):
    page = phone_page
    page.goto(f"{live_server}/auth/login")
    page.get_by_role("link", name="如何办理残疾人证：办理步骤、所需材料、本周评残日").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/info")
    week = page.locator("section.this-week")
    day, township, hospital = this_weeks_day
    for shown in (day, township, hospital, "肢体", "今天"):
        assert shown in week.inner_text()
    assert page.locator('meta[property="og:title"]').get_attribute("content")
    page.screenshot(path=str(tmp_path / "info-375.png"), full_page=True)
    _no_horizontal_scroll(page)
    assert _axe_violations(page) == []
    page.get_by_role("link", name="打印成海报，张贴在村务公开栏").click()
    page.wait_for_load_state("networkidle")
    assert page.locator(".poster-qr img").is_visible()
    _no_horizontal_scroll(page)
