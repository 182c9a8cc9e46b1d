"""Expired holders not renewed: the list on a day, the next campaign's Attachment 1 workbook in
the roster's own format (read back by the roster import), and the roster entries it opens."""
from __future__ import annotations

import html
import re
from datetime import timedelta
from io import BytesIO

from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.expiring.export import export_attachment1
from portal.imports.columns import EXPIRED_COLUMNS, TITLES
from portal.imports.reader import parse_workbook
from portal.rosters.models import RosterEntry
from portal.tenancy import access_for
from tests.expiring.conftest import TODAY


def _text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _names(page: str) -> list[str]:
    return re.findall(r"持证(\w+)", page)


def test_the_expired_list_on_a_day(holders, client, login_as):
    w = holders
    login_as(w.staff)
    url = f"/t/{w.t.code}/expiring/expired"
    assert _names(_text(client.get(url))) == ["expired"]
    later = (TODAY + timedelta(days=45)).isoformat()
    page = _text(client.get(url, query_string={"as_of": later}))
    assert _names(page) == ["expired", "in30", "with_case"]
    assert f"Case #{w.case.id} open" in page
    newest = _text(client.get(url, query_string={"as_of": later, "order": "latest"}))
    assert _names(newest) == ["with_case", "in30", "expired"]
    wrong = client.get(url, query_string={"as_of": "2031-01-01"})
    assert wrong.status_code == 400 and "Choose a day within two years of today." in _text(wrong)


def test_the_attachment1_workbook_reads_back_through_the_roster_import(
        holders, client, login_as, db_session, tmp_path):
    w = holders
    login_as(w.staff)
    response = client.get(f"/t/{w.t.code}/expiring/expired.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    path = tmp_path / "attachment1.xlsx"
    path.write_bytes(response.get_data())
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == f"{w.t.name}{TITLES['expired']}（截至{TODAY.isoformat()}）"
    assert list(rows[1]) == [c.title for c in EXPIRED_COLUMNS]
    person = w.p["expired"]
    line = dict(zip(rows[1], rows[2], strict=True))
    assert (line["序号"], line["姓名"], line["公民身份号码"], line["原残疾证号"]) == (
        1, person.name, person.id_number, person.id_number + "42")
    assert (line["残疾类别"], line["联系电话"]) == ("肢体", person.phone)
    assert len(rows) == 3
    parsed = parse_workbook(path, "expired", today=TODAY)
    assert parsed.rejects == []
    [record] = parsed.records
    values = record.values
    assert (values["name"], values["id"].number, values["certificate_number"]) == (
        person.name, person.id_number, person.id_number + "42")
    assert (values["certificate_category"], values["certificate_grade"],
            values["certificate_expires_on"]) == ("physical", 2, TODAY - timedelta(days=5))
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "expiring.attachment1_exported")).one()
    assert event.details["rows"] == 1 and event.details["masked"] is False


def test_without_the_reveal_right_the_numbers_are_masked(holders, db_session, make_user):
    w = holders
    supervisor = make_user("supervisor")
    buffer = BytesIO()
    count = export_attachment1(access_for(supervisor, w.t), w.t, supervisor, TODAY, buffer)
    assert count == 1
    cells = [c for row in load_workbook(buffer).active.iter_rows(values_only=True)
             for c in row if c]
    assert w.p["expired"].id_number not in cells and w.p["expired"].phone not in cells
    assert any(isinstance(c, str) and "*" in c for c in cells)


def test_the_expired_holders_go_on_the_township_list(holders, client, post, login_as,
                                                     db_session):
    w = holders
    login_as(w.staff)
    url = f"/t/{w.t.code}/expiring/expired/roster"
    later = (TODAY + timedelta(days=45)).isoformat()
    response = post(url, query_string={"as_of": later}, follow_redirects=True)
    assert "3 person(s) put on the township's expired-certificate list" in _text(response)
    listed = {e.person_id: e for e in db_session.scalars(
        select(RosterEntry).where(RosterEntry.list_kind == "expired"))}
    assert {w.p[k].id for k in ("expired", "in30", "with_case")} <= set(listed)
    assert listed[w.p["expired"].id].status == "open"
    again = post(url, query_string={"as_of": later}, follow_redirects=True)
    assert "0 person(s) put on" in _text(again)
