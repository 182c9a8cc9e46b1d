"""Helpers that build roster workbooks the way township officials really make them."""
from __future__ import annotations

from datetime import date

import openpyxl
import pytest

from portal.domain import idcard


def idn(seq: int, born: date = date(1970, 5, 6)) -> str:
    """A valid 18-character ID number; odd sequence = male, even = female."""
    return idcard.make("533103", born, seq)


def write_book(path, rows, merges=(), title: str = "Sheet1", extra_sheets=()):
    """Write `rows` from A1 (None = empty cell), apply merges, return the path."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row, 1):
            if value is not None:
                sheet.cell(row=r, column=c, value=value)
    for rng in merges:
        sheet.merge_cells(rng)
    for name, extra in extra_sheets:
        other = book.create_sheet(name)
        for row in extra:
            other.append(row)
    book.save(path)
    return path


SUSPECTED_HEADER = ["序号", "姓名", "性别", "民族", "身份证号码", "村(社区)", "联系电话",
                    "是否建档立卡", "行动能力", "疑似残疾类别", "是否有病历", "监护人姓名",
                    "监护人电话", "备注"]


def suspected_rows(n: int, start: int = 1, village: str = "一村") -> list[list]:
    """n plain, valid Attachment 2 rows."""
    rows = []
    for i in range(start, start + n):
        seq = 1 + (i % 999)
        born = date(1940 + i % 60, 1 + i % 12, 1 + i % 28)
        number = idcard.make("533103", born, seq)
        rows.append([i, f"张{chr(0x4e00 + i % 500)}{chr(0x4e50 + i % 300)}",
                     "男" if seq % 2 else "女", "傣族", number, village, "13800138000",
                     "是" if i % 5 == 0 else "否", "卧床" if i % 7 == 0 else "能出行",
                     "肢体", "有", "", "", ""])
    return rows


@pytest.fixture
def staff(make_township, make_user):
    """A township with two villages and a staff member who may import and export."""
    township = make_township(villages=("一村", "二村"))
    user = make_user("township_staff", township)
    return township, user
