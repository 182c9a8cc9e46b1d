"""A township officer imports a large, partly bad roster in a real browser: upload, progress,
preview with every rejected row, confirm, result — the check and the import are jobs (run
inline here; on RQ workers in tests/jobs/test_rq_worker.py)."""

import pytest

from tests.browser.conftest import log_in
from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book

pytestmark = pytest.mark.browser

ROWS = 3000


def test_upload_preview_confirm_with_progress(live_server, phone_page, tmp_path):
    rows = suspected_rows(ROWS, village="芒里村")
    rows[10][4] = 533103197001010000  # an ID typed as a number: lost its last digits
    rows[21] = list(rows[20])  # the same person twice
    book = write_book(tmp_path / "附件2.xlsx",
                      [["芒市镇疑似残疾人名单"], ["填报单位：芒市镇残联"], SUSPECTED_HEADER, *rows],
                      merges=["A1:N1"])
    page = phone_page
    log_in(page, live_server, "live_township_staff")
    page.goto(f"{live_server}/t/mangshi/imports/new")
    page.get_by_label("名单").select_option("suspected")
    page.get_by_label("Excel 文件").set_input_files(str(book))
    page.get_by_role("button", name="上传并检查").click()

    # The preview appears once the background check is done (the page polls and reloads).
    page.wait_for_selector("#count-total", timeout=60_000)
    assert page.inner_text("#count-total") == str(ROWS)
    assert page.inner_text("#count-rejected") == "2"
    assert page.inner_text("#count-new") == str(ROWS - 2)
    rejects = page.inner_text("main")
    # Excel row numbers (title, note and header rows come first) with their reasons.
    assert "14\t身份证号码" in rejects and "Excel 当作数字" in rejects
    assert "25\t" in rejects and "第 24 行" in rejects

    page.get_by_role("button", name="导入有效行").click()
    page.wait_for_selector(".alert-success", timeout=120_000)
    assert f"{ROWS - 2}" in page.inner_text(".alert-success")

    # The imported people are there: search one of them by the last digits of the ID.
    first_name, first_id = rows[0][1], rows[0][4]
    page.goto(f"{live_server}/t/mangshi/persons")
    page.get_by_label("搜索").fill(first_id[-4:])
    page.get_by_role("button", name="筛选").click()
    assert first_name in page.inner_text("main")
    assert first_id not in page.content()  # masked, never shown whole in a list
