"""In a real browser the size of a small phone: anyone sends a petition through the public form
and gets only its reference number; the township's staff find it and, as its handlers, see who
sent it. The pages fit 375 px."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::ResourceWarning")


def _fits_the_phone(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px phone"


def test_a_petition_sent_from_a_phone_reaches_the_township(live_server, phone_page, browser):
    from tests.browser.conftest import log_in

    page = phone_page
    page.goto(f"{live_server}/petition")
    _fits_the_phone(page)
    page.get_by_label("信访人姓名").fill("岩依")
    page.get_by_label("联系电话").fill("13987654321")
    page.get_by_label("所涉乡镇").select_option(label="芒市镇")
    page.get_by_label("信访内容").fill("集中办证那天没能去，想问怎么补办。")
    page.get_by_label("我同意残联使用我的姓名和电话办理本信访事项并与我联系。").check()
    page.get_by_role("button", name="提交信访").click()
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/petition/sent")
    reference = page.locator(".petition-reference").inner_text().strip()
    assert re.fullmatch(r"XF\d{8}-[A-Z2-9]{6}", reference)
    body = page.content()
    assert "岩依" not in body and "13987654321" not in body
    _fits_the_phone(page)

    staff = browser.new_context(viewport={"width": 375, "height": 740}, has_touch=True,
                                locale="zh-CN").new_page()
    log_in(staff, live_server, "live_township_staff")
    staff.goto(f"{live_server}/t/mangshi/petitions/")
    _fits_the_phone(staff)
    staff.get_by_role("link", name=reference).click()
    staff.wait_for_load_state("networkidle")
    assert "岩依" in staff.locator(".petitioner-identity").inner_text()
    assert "网上公开表单" in staff.content()
    _fits_the_phone(staff)
    staff.context.close()
