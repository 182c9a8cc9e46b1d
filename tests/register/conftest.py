"""Helpers of the register tests: holders files as the national database exports them."""
from __future__ import annotations

from datetime import date

import pytest

from portal.domain import idcard
from tests.imports.conftest import write_book

HEADER = ["序号", "姓名", "性别", "公民身份号码", "残疾人证号", "残疾类别", "残疾等级",
          "发证日期", "有效期至", "乡镇（街道）", "所在村（社区）"]
LATER = date(2029, 6, 30)


def idn(seq: int, born: date = date(1970, 5, 6)) -> str:
    return idcard.make("533103", born, seq)


def row(n: int, id_number: str, name: str = "张三", category: str = "肢体", grade="二级",
        digits: str = "42", township: str = "", issued=date(2019, 6, 30), expires=LATER,
        number: str | None = None):
    gender = "男" if int(id_number[16]) % 2 else "女"
    return [n, name, gender, id_number, number or id_number + digits, category, grade, issued,
            expires, township, "一村"]


def holders_file(path, rows, *, title="芒市有效持证残疾人名单（全国残疾人人口基础库导出）",
                 footer=True):
    """A workbook with a title row, a note row, the header, the rows and a signature footer."""
    lines = [[title], ["导出时间：2020-03-01"], HEADER, *rows]
    if footer:
        lines += [[None], ["填表人：王某", None, None, "审核人：李某"], ["合计", len(rows)]]
    return write_book(path, lines)


@pytest.fixture
def zh(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    return client
