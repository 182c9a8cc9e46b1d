"""Fixing a roster file in Excel and importing it again: no duplicates and no lost rows,
and the refused-rows file, corrected, imports as the original would have."""
import re

import openpyxl
from sqlalchemy import select

from portal.extensions import db
from portal.rosters.models import ImportJob, Person, RosterEntry
from tests.imports.conftest import idn, suspected_rows, write_book
from tests.imports.test_import import _book, _count, _upload


def _preview(client, post, township, path) -> tuple[str, str]:
    response = _upload(post, township, path)
    assert response.status_code == 302
    token = response.headers["Location"].rsplit("/", 1)[-1]
    return token, client.get(response.headers["Location"]).get_data(as_text=True)


def _count_on(page: str, name: str) -> int:
    return int(re.search(rf'id="count-{name}">(\d+)<', page).group(1))


def test_a_file_fixed_in_excel_imports_again_without_duplicates_or_lost_rows(
        staff, tmp_path, client, post, login_as, db_session):
    township, user = staff
    login_as(user)
    good = suspected_rows(4)
    bad_id = [5, "王五", "男", "汉", idn(55)[:-1] + ("0" if idn(55)[-1] != "0" else "1"),
              "二村", "", "否", "能出行", "视力", "有", "", "", ""]
    bad_category = [6, "赵六", "女", "汉", idn(66), "二村", "", "否", "能出行", "某类", "有",
                    "", "", ""]
    repeated = list(good[1])  # a row typed twice, its phone mistyped the second time
    repeated[0], repeated[6] = 7, "电话"
    footer = [["合计", None, None, None, "7人"],
              [None, "填表人：李会计", None, None, None, None, "联系电话：13900000000"],
              ["审核人：", None, None, "制表日期：2020年4月10日"]]
    original = _book(tmp_path, good[:2] + [[None] * 14] + good[2:] + [bad_id, bad_category,
                                                                   repeated] + footer)
    token, page = _preview(client, post, township, original)
    assert [_count_on(page, n) for n in ("total", "new", "update", "unchanged", "rejected")] == [
        7, 4, 0, 0, 3]
    assert "与第 4 行重复" in page  # row 4 of the sheet: the second person
    for row in (11, 12, 13):
        assert f"第{row}行：签名/页脚行，已跳过" in page
    assert post(f"/t/{township.code}/imports/jobs/{token}/confirm").status_code == 302
    assert _count(Person, township_id=township.id) == 4

    # Corrected in Excel: the ID's check digit and the category fixed, the repeated row
    # deleted, the signature lines left as they were.
    bad_id[4], bad_category[9] = idn(55), "智力"
    fixed = _book(tmp_path, good[:2] + [[None] * 14] + good[2:] + [bad_id, bad_category]
                  + footer, "fixed.xlsx")
    token, page = _preview(client, post, township, fixed)
    assert [_count_on(page, n) for n in ("total", "new", "update", "unchanged", "rejected")] == [
        6, 2, 0, 4, 0]
    assert post(f"/t/{township.code}/imports/jobs/{token}/confirm").status_code == 302
    job = db.session.scalars(select(ImportJob).where(ImportJob.token == token)).one()
    assert (job.status, job.imported, job.updated, job.rejected_rows) == ("done", 2, 0, 0)
    assert job.notes == [[row, "footer"] for row in (10, 11, 12)]
    numbers = db.session.scalars(select(Person.id_number)
                                 .where(Person.township_id == township.id)).all()
    assert sorted(numbers) == sorted([r[4] for r in good] + [idn(55), idn(66)])
    assert _count(RosterEntry, township_id=township.id) == 6
    entry = db.session.scalars(select(RosterEntry).join(Person)
                               .where(Person.id_number == idn(66))).one()
    assert entry.suspected_category == "intellectual"


def test_the_rejects_file_fixed_in_excel_imports_as_the_original_would(
        staff, tmp_path, runner, db_session):
    township, _ = staff
    # A two-level header: "姓名" and "电话" under a merged "监护人".
    header = ["序号", "姓名", "性别", "身份证号码", "村(社区)", "电话", "监护人", None,
              "疑似残疾类别"]
    second = [None, None, None, None, None, None, "姓名", "电话", None]
    rows = [[1, "张三", "男", idn(11), "一村", "13800138000", "", "", "肢体"],
            [2, "李四", "女", idn(22)[:-1] + "9" if idn(22)[-1] != "9" else "8", "一村",
             "13800138001", "李父", "13700000000", "智力"],
            ["填表人：王五"]]
    path = write_book(tmp_path / "two.xlsx", [["名单"], header, second] + rows,
                      merges=["G2:H2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3",
                              "I2:I3"])
    args = ["roster", "import", "--township", township.code, "--list", "suspected"]
    first = runner.invoke(args=args + [str(path)])
    assert first.output.strip().splitlines()[-1] == "imported=1 updated=0 rejected=1"
    assert "第6行：签名/页脚行，已跳过" in first.output
    rejected = tmp_path / "two.rejected.xlsx"
    book = openpyxl.load_workbook(rejected)
    sheet = book.active
    titles = [c.value for c in sheet[1]]
    (line,) = sheet.iter_rows(min_row=2)
    line[titles.index("身份证号码")].value = idn(22)  # corrected in Excel
    book.save(rejected)

    again = runner.invoke(args=args + [str(rejected)])
    assert again.output.strip().splitlines()[-1] == "imported=1 updated=0 rejected=0"
    person = db.session.scalars(select(Person).where(Person.id_number == idn(22))).one()
    assert (person.name, person.phone, person.guardian_name, person.guardian_phone) == (
        "李四", "13800138001", "李父", "13700000000")
    assert person.roster_entries[0].suspected_category == "intellectual"
    # The original, corrected the same way, now changes nothing.
    rows[1][3] = idn(22)
    path = write_book(tmp_path / "two.xlsx", [["名单"], header, second] + rows,
                      merges=["G2:H2", "A2:A3", "B2:B3", "C2:C3", "D2:D3", "E2:E3", "F2:F3",
                              "I2:I3"])
    last = runner.invoke(args=args + [str(path)])
    assert last.output.strip().splitlines()[-1] == "imported=0 updated=0 rejected=0"
    assert _count(Person, township_id=township.id) == 2
