"""Workbooks the portal writes never hold a formula made of someone's text (OWASP formula
injection): text that begins with = + - @, a tab or a carriage return is quoted, and the
roster reader takes the quote off again."""
from __future__ import annotations

import io

import openpyxl
import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.imports import exports, writer
from portal.imports.cells import cell_text
from portal.rosters.models import Person
from tests.imports.conftest import SUSPECTED_HEADER, suspected_rows, write_book

ATTACKS = ["=HYPERLINK(\"http://evil.example\",\"点击\")", "+1+cmd|' /C calc'!A0", "-2+3",
           "@SUM(1,1)", "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_text_that_could_start_a_formula_is_quoted(text):
    assert writer.neutralise(text) == "'" + text
    assert cell_text(writer.neutralise(text)) == cell_text(text)


@pytest.mark.parametrize("value", ["张三", "13800138000", "'quoted already", 42, None, 1.5])
def test_other_values_are_left_alone(value):
    assert writer.neutralise(value) == value


def _every_cell(data: bytes):
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            yield from row


def test_an_export_holds_no_formula_and_reads_back_the_same(staff, tmp_path, db_session):
    township, user = staff
    rows = suspected_rows(3)
    attack = "=HYPERLINK(\"http://evil.example\",\"点击\")"
    rows[0][1] = "'" + attack  # typed as text in Excel (a bare "=" would be a formula)
    rows[1][12] = "+8613800138000"  # guardian phone
    rows[2][13] = "@SUM(1,1)"  # note
    path = write_book(tmp_path / "in.xlsx", [["名单"], SUSPECTED_HEADER] + rows)
    from portal.imports import bulk

    assert bulk.import_file(township, user, path, "suspected", max_rows=100).imported == 3
    out = io.BytesIO()
    exports.export_township(township, user, "suspected", out, reveal=True)
    cells = list(_every_cell(out.getvalue()))
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a formula was written"
    risky = [c.value for c in cells if isinstance(c.value, str)
             and c.value.startswith(writer.FORMULA_STARTS)]
    assert risky == [], risky
    assert "'" + attack in [c.value for c in cells]
    (tmp_path / "out.xlsx").write_bytes(out.getvalue())
    again = bulk.import_file(township, user, tmp_path / "out.xlsx", "suspected", max_rows=100)
    assert (again.imported, again.updated, again.rejected) == (0, 0, 0)
    names = set(db.session.scalars(select(Person.name).where(
        Person.township_id == township.id)))
    assert attack in names


def test_rejects_file_and_dashboard_workbook_are_quoted_too(tmp_path):
    out = io.BytesIO()
    writer.write_rejects(out, ["行", "列", "原因"], [[3, "姓名", "=1+1"]])
    values = [c.value for c in _every_cell(out.getvalue())]
    assert "'=1+1" in values and not [v for v in values if v == "=1+1"]
