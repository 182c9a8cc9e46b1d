"""Doctor training in a real browser on a phone: the health office records a session with
check boxes, enters a result, and the pages pass axe-core's WCAG 2 A/AA rules at 375 px."""
import pytest

from tests.browser.conftest import log_in
from tests.browser.test_accessibility import _axe_violations, _fits_width

pytestmark = pytest.mark.browser


@pytest.fixture
def trainee(live_server):
    from portal.auth.services import add_membership, create_user
    from portal.extensions import db

    with live_server.app.app_context():
        user = create_user("live_trainee_doctor", "unused-password-1", display_name="培训医生")
        add_membership(user, "doctor", None)
        db.session.commit()
        return user.id


def test_a_session_and_its_result_on_a_phone(live_server, phone_page, trainee):
    page = phone_page
    log_in(page, live_server, "live_city_admin")
    page.goto(f"{live_server}/city/training/new")
    assert _axe_violations(page) == [] and _fits_width(page)
    # Sent empty: the errors are next to their fields, in Chinese.
    page.get_by_role("button", name="保存培训").click()
    assert page.locator("#attendees-error").inner_text() == "请至少选择一名参训医生。"
    assert _axe_violations(page) == []

    page.get_by_label("地点").fill("芒市人民医院三楼会议室")
    page.get_by_label("培训讲师").fill("州残疾评定专家组")
    page.get_by_label("培训日期").fill("2020-04-20")
    page.get_by_label("肢体").check()
    page.get_by_label("培训医生").check()
    page.get_by_role("button", name="保存培训").click()
    assert "/city/training/" in page.url and page.get_by_text("培训已记录").is_visible()
    assert _axe_violations(page) == [] and _fits_width(page)

    page.locator(f"select[name=result_{trainee}_physical]").select_option("passed")
    page.get_by_role("button", name="保存结果").click()
    assert page.get_by_text("结果已保存（1项有变动）").is_visible()

    page.goto(f"{live_server}/city/doctors/{trainee}")
    assert "合格" in page.locator("#training-record").inner_text()
    assert _axe_violations(page) == []
    page.goto(f"{live_server}/city/training/pool")
    assert _axe_violations(page) == [] and _fits_width(page)
