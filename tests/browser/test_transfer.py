"""In a real browser, two townships' staff: Mangshi town asks Xishan to take a holder who moved;
Xishan (on a phone) sees the request with only what it needs, accepts into one of its
villages; the person, their certificate and their history are Xishan's, and Mangshi keeps only
the transfer record."""
from __future__ import annotations

import itertools
from datetime import date

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")

# One new holder (ID number and name) each time, in the live portal's one database.
_SEQUENCE = itertools.count(733, 2)
_NAMES = iter(["岩迁甲", "岩迁乙", "岩迁丙", "岩迁丁"])


@pytest.fixture
def moving_holder(live_server):
    """A certificate holder of Mangshi town and a staff member of Xishan township, in the live
    portal's database; returns the person's id, ID number and name."""
    from portal.auth.models import User
    from portal.auth.services import add_membership, create_user
    from portal.domain import idcard
    from portal.extensions import db
    from portal.reference.models import Township, Village
    from portal.register.services import Holding, record_holding
    from portal.rosters.models import Person
    from tests.browser.conftest import PASSWORD

    with live_server.app.app_context():
        town, xishan = (db.session.scalars(db.select(Township).filter_by(code=code)).one()
                        for code in ("mangshi", "xishan"))
        if db.session.scalars(db.select(User).filter_by(username="live_xishan_staff")).first() \
                is None:
            add_membership(create_user("live_xishan_staff", PASSWORD), "township_staff", xishan)
            db.session.add(Village(township_id=xishan.id, name="西山村"))
        number = idcard.make("533103", date(1962, 7, 8), next(_SEQUENCE))
        name = next(_NAMES)
        person = Person(township_id=town.id, name=name, gender=idcard.parse(number).gender,
                        id_number=number,
                        id_reversed=number[::-1], birth_date=date(1962, 7, 8),
                        phone="13987654321", address="芒市镇团结路8号")
        db.session.add(person)
        db.session.flush()
        record_holding(person, Holding(number + "42", "physical", 2, date(2020, 6, 1),
                                       date(2030, 6, 1)), "national_db", None)
        db.session.commit()
        return person.id, number, name


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px phone"


def test_a_holder_moves_from_one_township_to_another(live_server, browser, moving_holder):
    from tests.browser.conftest import log_in

    person_id, number, name = moving_holder
    sender = browser.new_context(locale="zh-CN").new_page()
    log_in(sender, live_server, "live_township_staff")
    sender.goto(f"{live_server}/t/mangshi/persons/{person_id}")
    sender.get_by_role("link", name="迁往其他乡镇或迁出本县").click()
    assert "跨省通办" in sender.locator("#scope-note").inner_text()
    sender.get_by_label("迁入乡镇").select_option(label="西山乡")
    sender.get_by_label("新住址").fill("西山乡西山村3组")
    sender.get_by_label("迁移原因").fill("投靠子女")
    sender.get_by_role("button", name="发出迁移申请").click()
    sender.wait_for_load_state("networkidle")
    assert "等待迁入乡镇答复" in sender.content()
    transfer_url = sender.url

    receiver = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True,
                                   locale="zh-CN").new_page()
    log_in(receiver, live_server, "live_xishan_staff")
    receiver.goto(f"{live_server}/t/xishan/transfers/")
    assert "等待本乡镇答复" in receiver.locator("#waiting").inner_text()
    _fits_the_phone(receiver)
    assert name in receiver.locator("#transfers").inner_text()
    receiver.locator("#transfers a").first.click()
    receiver.wait_for_load_state("networkidle")
    request_page = receiver.content()
    assert name in request_page and "西山乡西山村3组" in request_page
    assert number not in request_page and "13987654321" not in request_page
    _fits_the_phone(receiver)
    # Before the acceptance the person's own page is not Xishan's.
    assert receiver.request.get(
        f"{live_server}/t/xishan/persons/{person_id}").status == 404
    receiver.get_by_label("本乡镇的村（社区）").select_option(label="西山村")
    receiver.get_by_role("button", name="接收此人迁入本乡镇").click()
    receiver.wait_for_load_state("networkidle")
    assert "此人及其证件和办理记录归本乡镇" in receiver.locator("#accepted-note").inner_text()
    assert "已接收" in receiver.locator("main .badge").first.inner_text()
    receiver.get_by_role("link", name=name).click()
    receiver.wait_for_load_state("networkidle")
    assert receiver.url.endswith(f"/t/xishan/persons/{person_id}")
    assert "西山村" in receiver.content() and "西山乡西山村3组" in receiver.content()
    receiver.goto(f"{live_server}/t/xishan/holders/")
    assert name in receiver.content()

    # The sender keeps the record; the person is gone from its pages.
    sender.goto(transfer_url)
    assert "本地仅保留这条迁移记录" in sender.content()
    assert sender.request.get(f"{live_server}/t/mangshi/persons/{person_id}").status == 404
    sender.goto(f"{live_server}/t/mangshi/holders/")
    assert name not in sender.content()


@pytest.mark.parametrize("path", [
    "/t/mangshi/transfers/", "/t/mangshi/expiring/", "/t/mangshi/expiring/call-list",
    "/t/mangshi/expiring/expired", "/t/mangshi/expiring/?days=0",
])
def test_transfer_and_expiring_pages_are_accessible_on_a_phone(live_server, phone_page, path):
    from tests.browser.conftest import log_in
    from tests.browser.test_accessibility import _axe_violations, _fits_width

    log_in(phone_page, live_server, "live_township_staff")
    phone_page.goto(f"{live_server}{path}")
    assert _axe_violations(phone_page) == []
    assert _fits_width(phone_page), "the page scrolls sideways on a 375-px phone"


def test_the_transfer_form_is_accessible_on_a_phone(live_server, phone_page, moving_holder):
    from tests.browser.conftest import log_in
    from tests.browser.test_accessibility import _axe_violations, _fits_width

    person_id, _number, _name = moving_holder
    log_in(phone_page, live_server, "live_township_staff")
    phone_page.goto(f"{live_server}/t/mangshi/transfers/new/{person_id}")
    phone_page.get_by_role("button", name="登记迁出本县").click()  # nothing filled in
    phone_page.wait_for_load_state("networkidle")
    destination = phone_page.get_by_label("迁往何处（省、市、县）")
    assert destination.get_attribute("aria-invalid") == "true"
    assert _axe_violations(phone_page) == []
    assert _fits_width(phone_page)
