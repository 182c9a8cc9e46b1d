"""A city administrator plans next year's campaign in a real browser: a wrong phase is refused
next to its field, the corrected plan is saved, activated (the seeded campaign is closed with
its figures kept) and the dashboard follows it and still shows the past campaign."""
from datetime import timedelta

import pytest

from portal.clock import local_today
from tests.browser.conftest import PASSWORD, log_in
from tests.browser.test_accessibility import _axe_violations, _fits_width

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def campaign_admin(live_server):
    """A city administrator of its own: a second factor code is used once per user, and the
    other browser tests log the shared city administrator in many times a minute."""
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from tests.conftest import enrol_test_totp

    with live_server.app.app_context():
        user = create_user("live_campaign_admin", PASSWORD)
        add_membership(user, "city_admin", None)
        enrol_test_totp(user)
        db.session.commit()
    return "live_campaign_admin"


@pytest.fixture
def desk_page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()
    _restore_seeded_campaign(live_server.app)


def _restore_seeded_campaign(app):
    """The other browser tests run against the seeded campaign: make it the active one again."""
    from sqlalchemy import update

    from portal.extensions import db
    from portal.reference.models import Campaign

    with app.app_context():
        db.session.execute(update(Campaign).where(Campaign.code != "mangshi-2020")
                           .values(status="closed"))
        db.session.execute(update(Campaign).where(Campaign.code == "mangshi-2020")
                           .values(status="active"))
        db.session.commit()


def _fill_plan(page, start):
    day = lambda n: (start + timedelta(days=n)).isoformat()
    page.get_by_label("活动名称").fill("芒市新一轮残疾人证核发工作")
    page.fill("#code", "mangshi-next")
    page.get_by_label("发文字号").fill("芒政办发〔2027〕1号")
    page.get_by_label("县（市）").fill("芒市")
    page.get_by_label("活动开始日期").fill(day(0))
    page.get_by_label("活动结束日期").fill(day(400))
    page.get_by_label("残疾人估算数").fill("24000")
    page.get_by_label("开始时持证人数").fill("12000")
    phases = [("摸底调查阶段", "survey", 0, 20), ("集中办证阶段", "concentrated", 10, 40)]
    for i, (name, code, first, last) in enumerate(phases):
        page.fill(f"#phases-{i}-name", name)
        page.fill(f"#phases-{i}-code", code)
        page.fill(f"#phases-{i}-starts_on", day(first))
        page.fill(f"#phases-{i}-ends_on", day(last))
    page.fill("#phases-1-description", "按乡镇排期到指定医院集中评残")
    page.fill("#targets-0-holding_rate", "60")
    page.fill("#targets-0-deadline", day(300))


def test_campaign_pages_are_accessible_on_a_phone(live_server, phone_page, campaign_admin):
    log_in(phone_page, live_server, campaign_admin)
    for path in ("/city/campaigns/", "/city/campaigns/new", "/city/campaigns/1",
                 "/city/campaigns/1/copy"):
        response = phone_page.goto(f"{live_server}{path}")
        assert response.status == 200, path
        assert _axe_violations(phone_page) == [], path
        assert _fits_width(phone_page), f"{path} scrolls sideways on a 375-px phone"


def test_plan_and_activate_a_campaign(live_server, desk_page, campaign_admin):
    page = desk_page
    log_in(page, live_server, campaign_admin)
    page.goto(f"{live_server}/city/dashboard/")
    assert "芒市加快推进残疾人证核发工作" in page.inner_text("h1")
    page.get_by_role("link", name="活动管理").click()
    page.get_by_role("link", name="规划新活动").click()

    start = local_today() + timedelta(days=30)
    _fill_plan(page, start)
    page.get_by_role("button", name="保存活动").click()
    # The concentrated phase overlaps the survey phase: refused, the message next to the field.
    error = page.locator("#phases-1-starts_on-error")
    assert "不得重叠" in error.inner_text()
    assert page.get_attribute("#phases-1-starts_on", "aria-invalid") == "true"

    page.fill("#phases-1-starts_on", (start + timedelta(days=25)).isoformat())
    page.get_by_role("button", name="保存活动").click()
    page.wait_for_selector(".alert-success")
    assert "活动已保存" in page.inner_text(".alert-success")
    assert "草稿" in page.inner_text("h1")
    assert "按乡镇排期到指定医院集中评残" in page.inner_text("#phases-table")

    page.get_by_role("button", name="启用为当前活动").click()
    page.wait_for_selector(".alert-success")
    assert "已结束" in page.inner_text(".alert-success")
    assert "当前活动" in page.inner_text("h1")

    page.get_by_role("link", name="工作看板", exact=True).click()
    assert "芒市新一轮残疾人证核发工作" in page.inner_text("h1")
    picker = page.locator("#campaign-choice")
    assert "芒市加快推进残疾人证核发工作" in picker.inner_text()
    picker.select_option(label=picker.locator("option", has_text="2020").inner_text().strip())
    page.locator("#campaign-picker button").click()
    page.wait_for_selector("#units-table")
    assert "仅供查看" in page.inner_text("main")
    assert "芒市镇" in page.inner_text("#units-table")


@pytest.fixture(scope="module")
def campaign_copier(live_server):
    """Another city administrator: each login spends one second-factor code."""
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db
    from tests.conftest import enrol_test_totp

    with live_server.app.app_context():
        user = create_user("live_campaign_copier", PASSWORD)
        add_membership(user, "city_admin", None)
        enrol_test_totp(user)
        db.session.commit()
    return "live_campaign_copier"


def test_next_years_campaign_from_this_years(live_server, desk_page, campaign_copier):
    """Copy the running campaign to a new start date: the draft carries every date moved,
    the page points out the dates on a weekend or holiday (and a year it cannot check), and activating it makes the
    dashboard follow it while the copied campaign stays readable."""
    page = desk_page
    log_in(page, live_server, campaign_copier)
    page.goto(f"{live_server}/city/campaigns/")
    page.get_by_role("link", name="芒市加快推进残疾人证核发工作").click()
    page.get_by_role("link", name="复制此活动").click()
    page.get_by_label("……或让复制件开始于").fill("2026-03-14")  # a Saturday
    page.get_by_role("button", name="生成草稿").click()
    page.wait_for_selector(".alert-success")
    assert "草稿" in page.inner_text("h1")
    phases = page.inner_text("#phases-table")
    assert "2026-03-14" in phases and "2020" not in phases  # every date moved six years
    notices = page.inner_text("#date-notices")
    assert "2026-03-14" in notices and "周末" in notices
    # The end moved into 2027, a year the holiday calendar does not know yet: said plainly.
    assert "2027" in page.inner_text("section[aria-labelledby=h-dates]")

    page.get_by_role("button", name="启用为当前活动").click()
    page.wait_for_selector(".alert-success")
    page.get_by_role("link", name="工作看板", exact=True).click()
    picker = page.locator("#campaign-choice")
    assert "(2026)" in picker.locator("option:checked").inner_text()
    assert "(2020)" in picker.inner_text()  # the copied campaign stays readable
