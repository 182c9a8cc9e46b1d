"""Pages pass axe-core's WCAG 2 A/AA rules, fit a 375-px phone and show keyboard focus."""
import pytest

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _axe_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results.response["violations"]
    ]


def _fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_login_page_is_accessible_on_a_phone(live_server, phone_page):
    phone_page.goto(f"{live_server}/auth/login")
    assert phone_page.locator("html").get_attribute("lang") == "zh-CN"
    assert _axe_violations(phone_page) == []
    assert _fits_width(phone_page)


def test_failed_login_error_is_next_to_the_field(live_server, phone_page):
    phone_page.goto(f"{live_server}/auth/login")
    phone_page.get_by_label("用户名").fill("nobody")
    phone_page.get_by_label("密码").fill("wrong-password-1")
    phone_page.get_by_role("button", name="登录").click()
    password = phone_page.get_by_label("密码")
    assert password.get_attribute("aria-invalid") == "true"
    described = password.get_attribute("aria-describedby")
    assert "用户名或密码错误" in phone_page.locator(f"#{described}").inner_text()
    assert _axe_violations(phone_page) == []


def test_keyboard_focus_is_visible(live_server, phone_page):
    phone_page.goto(f"{live_server}/auth/login")
    phone_page.keyboard.press("Tab")
    focused = phone_page.evaluate(
        "(() => { const s = getComputedStyle(document.activeElement);"
        " return [document.activeElement.className, s.outlineStyle, s.outlineWidth]; })()"
    )
    assert "skip-link" in focused[0]
    assert focused[1] != "none" and focused[2] != "0px"


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("live_township_staff", "/t/mangshi/persons"),
        ("live_township_staff", "/t/mangshi/persons/new"),
        ("live_township_staff", "/t/mangshi/imports/new"),
        ("live_township_staff", "/t/mangshi/reports"),
        ("live_city_admin", "/city/"),
        ("live_city_admin", "/city/roster-reports"),
        ("live_city_admin", "/city/admin/users"),
        ("live_city_admin", "/city/audit/"),
    ],
)
def test_working_pages_are_accessible_on_a_phone(live_server, phone_page, username, path):
    log_in(phone_page, live_server, username)
    response = phone_page.goto(f"{live_server}{path}")
    assert response.status == 200
    assert _axe_violations(phone_page) == []
    assert _fits_width(phone_page), "the page scrolls sideways on a 375-px phone"
