"""Reading roster workbooks as officials make them (no database involved)."""
import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypinyin import Style, lazy_pinyin
from pypinyin.constants import PHRASES_DICT

from portal.domain import idcard
from portal.imports import cells, columns, messages, reader, writer
from portal.imports.reader import WorkbookError
from portal.rosters.services import name_keys
from tests.imports.conftest import idn, write_book

TODAY = date(2024, 6, 1)
# A female ID number whose check character is X (typed here in lower case).
X_ID = next(n for n in (idn(s) for s in range(2, 999, 2)) if n.endswith("X"))


def _fullwidth(text: str) -> str:
    return text.translate(str.maketrans("0123456789X", "０１２３４５６７８９Ｘ"))


def _messy_expired(path):
    old15 = "533103700506021"  # 1989-standard number, upgraded on import
    rows = [
        ["德宏州芒市测试乡过期失效持证残疾人名单"],  # merged title
        ["填报单位（盖章）：测试乡残联", None, None, None, "填报日期：2020年4月10日"],
        ["序 号", "名字", "性  别", "民族", "公民身份号码*", "村(社区)", "手机",
         "建档立卡贫困户", "是否卧床", "残疾证号", "残疾类别", "残疾等级", "有效期至"],
        [1, "张　三 ", "男", "汉族", idn(11), "一村", 13800138000.0, "是", "否", None, "肢体",
         "二级", date(2020, 12, 31)],
        [2, "李四", None, "傣", _fullwidth(idn(22)), None, "  ", "否", "是", None, "4", "3",
         "2020/12/31"],
        [None, None, None, None, None, None, None, None, None, None, None, None, None],
        [3, "王五", "女", "景颇族", X_ID.lower(), "二村", "", "否", "", None,
         "视力残疾", "一级", "2020.12.31"],
        [4, "赵六", "男", "汉", 5.33103199001011E+17, "二村", "", "", "", None, "", "", ""],
        [5, "钱七", "男", "汉", 533103199001011234, "二村", "", "", "", None, "", "", ""],
        [6, "孙八", "男", "汉", idn(44), "二村", "", "", "", None, "", "", ""],  # 44: female
        [7, "周九", None, "汉", idn(55), "二村", "", "", "", None, "", "", "2020-13-45"],
        [8, "张三", "男", "汉", idn(11), "一村", "", "", "", None, "", "", ""],  # duplicate
        [9, "吴十", "男", "汉", old15, "一村", "", "", "", None, "", "", "20211231"],
        [10, "郑一", "男", "汉", idn(77), "一村", "", "", "卧床", idn(77) + "42", None, None,
         "2021年6月30日"],
        ["合计", None, None, None, "10人"],
        ["注：本表由村委会填报。"],
        ["填表人：某某", None, None, "审核人：某某"],
    ]
    return write_book(path, rows, merges=["A1:M1", "F4:F5"])


def test_messy_workbook_is_read_row_by_row(tmp_path):
    parsed = reader.parse_workbook(_messy_expired(tmp_path / "a1.xlsx"), "expired", today=TODAY)
    assert parsed.header_row == 3
    assert {"name", "gender", "id_number", "village", "phone", "poverty", "mobility",
            "certificate_number", "category", "grade", "expires_on"} <= set(parsed.columns)
    by_row = {r.row: r.values for r in parsed.records}
    rejects = {r.row: (r.column, r.code) for r in parsed.rejects}
    assert set(by_row) == {4, 5, 7, 13, 14}
    first = by_row[4]
    assert first["name"] == "张三" and first["id"].number == idn(11)
    assert first["phone"] == "13800138000" and first["poverty_registered"] is True
    assert first["mobility"] == "can_travel"  # 是否卧床 = 否
    assert first["certificate_category"] == "physical" and first["certificate_grade"] == 2
    assert first["certificate_expires_on"] == date(2020, 12, 31)
    second = by_row[5]
    assert second["village"] == "一村"  # merged village cell spanning two rows
    assert second["id"].gender == "female"  # full-width digits folded
    assert second["mobility"] == "bedridden"
    assert second["certificate_category"] == "physical" and second["certificate_grade"] == 3
    assert "phone" not in second  # stray spaces are an empty cell
    assert by_row[7]["id"].number == X_ID
    assert by_row[7]["certificate_category"] == "vision"
    assert by_row[13]["id"].upgraded_from == "533103700506021"
    assert by_row[13]["certificate_expires_on"] == date(2021, 12, 31)
    assert by_row[14]["certificate_category"] == "physical"  # from the certificate number
    assert by_row[14]["certificate_grade"] == 2
    assert by_row[14]["certificate_expires_on"] == date(2021, 6, 30)
    assert rejects == {
        8: ("id_number", "id_numeric"),
        9: ("id_number", "id_numeric"),
        10: ("gender", "gender_mismatch"),
        11: ("expires_on", "date"),
        12: ("id_number", "duplicate"),
    }
    duplicate = next(r for r in parsed.rejects if r.row == 12)
    assert duplicate.params == {"row": 4}
    assert parsed.total == 10


def test_header_variants_and_two_level_header(tmp_path):
    rows = [
        ["疑似残疾人名单"],
        ["序号", "姓名", "性别", "身份证号", "所在村", "电话", "监护人", None, "有无病历"],
        [None, None, None, None, None, None, "姓名", "电话", None],
        [1, "岩 温", "男", idn(13), "二 村", "139 0000 0000", "玉 香", "13700000000", "无"],
    ]
    path = write_book(tmp_path / "a2.xlsx", rows, merges=["G2:H2", "A2:A3", "B2:B3"])
    parsed = reader.parse_workbook(path, "suspected", today=TODAY)
    assert parsed.columns["guardian_name"] == 6 and parsed.columns["guardian_phone"] == 7
    assert parsed.columns["name"] == 1
    (record,) = parsed.records
    assert record.values["name"] == "岩温"
    assert record.values["guardian_name"] == "玉香"
    assert record.values["guardian_phone"] == "13700000000"
    assert record.values["village"] == "二村"
    assert record.values["medical_records"] is False


@pytest.mark.parametrize(("value", "expected"), [
    ("视力", "vision"), ("听力残疾", "hearing"), ("言语", "speech"), ("4", "physical"),
    (5.0, "intellectual"), ("精神", "mental"), ("多重残疾", "multiple"),
])
def test_categories(value, expected):
    assert cells.parse_category(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (date(2020, 12, 31), date(2020, 12, 31)), ("2020-12-31", date(2020, 12, 31)),
    ("2020/12/31", date(2020, 12, 31)), ("2020.12.31", date(2020, 12, 31)),
    ("20201231", date(2020, 12, 31)), (20201231, date(2020, 12, 31)),
    ("2020年12月31日", date(2020, 12, 31)), (44196.0, date(2020, 12, 31)),
])
def test_dates(value, expected):
    assert cells.parse_date(value) == expected


@pytest.mark.parametrize("value", ["2020-02-30", "明年", "12/31/2020", 1.5])
def test_bad_dates(value):
    with pytest.raises(cells.CellError):
        cells.parse_date(value)


def test_yes_no_and_grades():
    assert [cells.parse_yes_no(v) for v in ("是", "有", "Y", "√", "否", "无", "n", "")] == [
        True, True, True, True, False, False, False, None]
    assert [cells.parse_grade(v) for v in ("一级", "2", "三", 4.0, "Ⅳ级")] == [1, 2, 3, 4, 4]
    assert cells.parse_mobility("可以出行") == "can_travel"
    assert cells.parse_mobility("行动不便") == "limited"
    assert cells.parse_mobility("瘫痪在床") == "bedridden"


@pytest.mark.parametrize(("content", "code"), [
    (b"", "empty_file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old_xls"),
    ("姓名,身份证号\n张三,533103197005060011\n".encode(), "not_xlsx"),
    (b"PK\x03\x04 broken zip", "unreadable"),
])
def test_files_that_are_not_workbooks(tmp_path, content, code):
    path = tmp_path / "list.xlsx"
    path.write_bytes(content)
    with pytest.raises(WorkbookError) as caught:
        reader.parse_workbook(path, "suspected")
    assert caught.value.code == code


def test_empty_sheet_missing_column_and_no_rows(tmp_path):
    with pytest.raises(WorkbookError) as caught:
        reader.parse_workbook(write_book(tmp_path / "e.xlsx", []), "suspected")
    assert caught.value.code == "empty"
    rows = [["姓名", "性别", "民族", "村"], ["张三", "男", "汉", "一村"]]
    with pytest.raises(WorkbookError) as caught:
        reader.parse_workbook(write_book(tmp_path / "m.xlsx", rows), "suspected")
    assert caught.value.code == "missing_columns"
    assert caught.value.params == {"columns": "公民身份号码"}
    with pytest.raises(WorkbookError) as caught:
        reader.parse_workbook(write_book(tmp_path / "h.xlsx", [["姓名", "身份证号"], ["合计"]]),
                              "suspected")
    assert caught.value.code == "no_rows"
    with pytest.raises(WorkbookError) as caught:
        reader.parse_workbook(write_book(tmp_path / "x.xlsx", [["a", "b"], [1, 2]]), "suspected")
    assert caught.value.code == "no_header"


def test_too_many_rows(tmp_path):
    rows = [["姓名", "身份证号"]] + [[f"人{i}", idn(i % 999 + 1, date(1950 + i // 999, 1, 1))]
                                    for i in range(12)]
    with pytest.raises(WorkbookError) as caught:
        reader.parse_workbook(write_book(tmp_path / "big.xlsx", rows), "suspected", max_rows=10)
    assert caught.value.code == "too_many_rows" and caught.value.params == {"max": 10}


def test_template_has_every_column_and_reads_back(tmp_path):
    path = tmp_path / "t.xlsx"
    writer.write_template(path, "expired")
    cells = next(reader.read_sheets(path))[1]
    header_row, found = reader.find_header(cells, columns.EXPIRED_COLUMNS)
    assert header_row == 2
    assert set(found) == {c.key for c in columns.EXPIRED_COLUMNS}


def _id_outcome(raw, today):
    try:
        return cells._plain_id(raw, today)
    except idcard.IdNumberError as exc:
        return exc.code


def _parse_outcome(raw, today):
    try:
        return idcard.parse(raw if raw != "" else None, today)
    except idcard.IdNumberError as exc:
        return exc.code


def test_quick_id_check_agrees_with_the_id_rules_on_every_kind_of_number():
    rng = random.Random(11)
    numbers = []
    for _ in range(3000):
        born = date(rng.randint(1870, 2030), rng.randint(1, 12), rng.randint(1, 28))
        number = idcard.make(rng.choice(("533103", "110101", "990101", "830000")), born,
                             rng.randint(1, 999))
        numbers += [number, number.lower(), number[:17] + rng.choice("0123456789Xx"),
                    number[:6] + rng.choice(("18790101", "20991231", "19900230", "00000101"))
                    + number[14:], _fullwidth(number), f" {number[:6]} {number[6:]}",
                    number[:15], number[:16], "٣" + number[1:]]
    numbers += ["", None, 5.33103199001011e17, 533103199001011234, True]
    outcomes = [(_id_outcome(n, TODAY), _parse_outcome(n, TODAY)) for n in numbers]
    assert all(quick == rule for quick, rule in outcomes)
    assert {o for o, _ in outcomes if isinstance(o, str)} >= {
        "area", "birth_date", "future_birth_date", "check_digit", "length", "numeric",
        "empty", "format"}


def _reference_name_keys(name):
    syllables = [s.lower() for s in lazy_pinyin(name, style=Style.NORMAL, errors="ignore")]
    initials = "".join(s[0] for s in syllables if s)
    return " ".join(syllables)[:200], initials[:30]


def test_remembered_pinyin_is_exactly_pypinyins_reading_of_the_whole_name():
    rng = random.Random(5)
    surnames = "王李张刘陈杨黄赵曾单解仇朴区查乐尉迟万俟长孙覃翟盖缪召种员秘折繁阚"
    given = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚长重行朝乐和了会还都"
    phrases = [p for p in PHRASES_DICT if len(p) <= 4]
    rare = [chr(c) for c in range(0x3400, 0xA000, 7)] + list("〇·. AbＡ１2　-（）")
    names = ["", "木然·勒排", "单于", "尉迟恭", "万俟卨", "曾经", "长孙无忌", "朝阳", "重庆",
             "张 三", "x" * 300, "张" * 120]
    for _ in range(20000):
        names.append(rng.choice(surnames)
                     + "".join(rng.choice(given) for _ in range(rng.randint(1, 2))))
        names.append("".join(rng.choice(rare) for _ in range(rng.randint(1, 4))))
        names.append(rng.choice(surnames) + rng.choice(phrases))
    assert [name_keys(n) for n in names] == [_reference_name_keys(n) for n in names]
    assert name_keys("曾经") == ("ceng jing", "cj") and name_keys("长孙无忌")[1] == "zswj"


# --- grades, footer rows, duplicates (issue 11, point 7) -----------------------------------

GRADE_SPELLINGS = {
    1: ("一", "壹", "Ⅰ", "ⅰ", "I", "i", "1", "１"),
    2: ("二", "贰", "Ⅱ", "ⅱ", "II", "ii", "2", "２"),
    3: ("三", "叁", "Ⅲ", "ⅲ", "III", "iii", "3", "３"),
    4: ("四", "肆", "Ⅳ", "ⅳ", "IV", "iv", "4", "４"),
}


@pytest.mark.parametrize(("value", "expected"), [
    ("一级", 1), ("壹级", 1), ("贰级", 2), ("叁级", 3), ("肆级", 4), ("Ⅰ", 1), ("Ⅳ级", 4),
    ("ⅲ", 3), ("II", 2), ("iv", 4), ("IV级", 4), ("1", 1), ("4级", 4), ("1 级", 1),
    ("一 级", 1), ("１", 1), ("４级", 4), (" 三级 ", 3), ("\u3000二\u3000级\u3000", 2),
    ("第二级", 2), (3, 3), (4.0, 4), ("2.0", 2), ("", None), (None, None),
])
def test_grades_in_every_usual_spelling(value, expected):
    assert cells.parse_grade(value) == expected


@given(grade=st.sampled_from(sorted(GRADE_SPELLINGS)), data=st.data(),
       suffix=st.sampled_from(["", "级"]),
       space=st.lists(st.sampled_from([" ", "\u3000", "\t", "\xa0"]), max_size=3).map("".join))
def test_any_grade_spelling_with_spaces_reads_as_its_grade(grade, data, suffix, space):
    word = data.draw(st.sampled_from(GRADE_SPELLINGS[grade]))
    where = data.draw(st.integers(0, 2))
    text = [space + word + suffix, word + space + suffix, space + word + space + suffix + space][
        where]
    assert cells.parse_grade(text) == grade


@pytest.mark.parametrize("value", [
    "五级", "伍级", "0", "5", "Ⅴ", "V", "IIII", "一二级", "2.5", 2.5, 5.0, "级", "二级级",
    "重度", "1-2", "A",
])
def test_anything_else_is_a_clear_grade_rejection(value):
    with pytest.raises(cells.CellError) as caught:
        cells.parse_grade(value)
    assert caught.value.args == ("grade",)
    assert "一级" in messages.reason_text("grade") and "1–4" in messages.reason_text("grade")


def test_bad_grade_in_a_workbook_is_a_rejected_cell(tmp_path):
    header = ["序号", "姓名", "性别", "公民身份号码", "残疾类别", "残疾等级"]
    rows = [["名单"], header, [1, "甲", "男", idn(11), "肢体", "壹级"],
            [2, "乙", "女", idn(12), "视力", " Ⅳ 级"], [3, "丙", "男", idn(13), "视力", "五级"]]
    parsed = reader.parse_workbook(write_book(tmp_path / "g.xlsx", rows), "expired",
                                   today=TODAY)
    assert [(r.row, r.values["certificate_grade"]) for r in parsed.records] == [(3, 1), (4, 4)]
    assert [(r.row, r.column, r.code) for r in parsed.rejects] == [(5, "grade", "grade")]


def test_signature_footer_and_blank_rows_are_skipped_with_a_note(tmp_path):
    rows = [
        ["测试乡疑似残疾人名单"],
        ["序号", "姓名", "性别", "民族", "身份证号码", "村(社区)", "联系电话"],
        [1, "张三", "男", "汉", idn(11), "一村", "13800138000"],
        [None] * 7,  # a blank separator row in the middle
        [2, "李四", "女", "汉", idn(12), "一村", ""],
        ["合计", None, None, None, "2人"],
        [None, "填表人：王五", None, None, None, None, "联系电话：13900000000"],
        ["审核人", "赵六", None, None, None, None, None],
        [None, "联系电话：", None, None, "0692-1234567"],
        ["制表日期：2020年4月10日"],
        [None, "负责人:  钱七"],
        ["单位（盖章）：测试乡残联"],
        [None, "备注：本表由村委会填报"],
        [None, None, None, None, None, "合 计：2人"],
        [None] * 7,
        [3, "孙八", "男", "汉", "", "二村"],  # a person without an ID number: rejected
        [4, "单位", "男", "汉", idn(44), "二村"],  # a valid ID number: never a footer
        ["填表人", "周九", "男", "汉", idn(55), "二村"],  # a valid ID number: a person
    ]
    parsed = reader.parse_workbook(write_book(tmp_path / "f.xlsx", rows), "suspected",
                                   today=TODAY)
    assert [r.row for r in parsed.records] == [3, 5, 18]
    assert [(r.row, r.column, r.code) for r in parsed.rejects] == [
        (16, "id_number", "id_empty"), (17, "gender", "gender_mismatch")]
    assert parsed.notes == [(row, "footer") for row in (6, 7, 8, 9, 10, 11, 12, 13, 14)]
    assert parsed.total == 5


def test_a_repeated_id_is_a_duplicate_of_its_first_row_whatever_else_is_wrong(tmp_path):
    header = ["序号", "姓名", "性别", "公民身份号码", "联系电话", "残疾等级", "有效期至"]
    rows = [["名单"], header,
            [1, "甲", "男", idn(11), "13800138000", "一级", "2020-12-31"],
            [2, "甲", "女", idn(11), "", "", ""],  # wrong gender too
            [3, "乙", "女", idn(12), "电话坏了", "", ""],  # bad phone: rejected, but first
            [4, "乙", "女", idn(12), "13800138000", "二级", ""],  # repeats row 5
            [5, "甲", "男", " " + _fullwidth(idn(11)), "", "九级", "明年"],  # repeats row 3
            [6, None, None, idn(11)]]  # no name either
    parsed = reader.parse_workbook(write_book(tmp_path / "d.xlsx", rows), "expired",
                                   today=TODAY)
    assert [r.row for r in parsed.records] == [3]
    assert [(r.row, r.column, r.code, r.params) for r in parsed.rejects] == [
        (4, "id_number", "duplicate", {"row": 3}),
        (5, "phone", "phone", {}),
        (6, "id_number", "duplicate", {"row": 5}),
        (7, "id_number", "duplicate", {"row": 3}),
        (8, "id_number", "duplicate", {"row": 3}),
    ]
