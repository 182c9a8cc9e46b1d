"""The civil-affairs list of deceased persons (CSV or XLSX): every row checked with a reason
in words, nothing written while any row is wrong, then every death recorded at once."""
from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.domain import idcard
from portal.lifecycle.models import CertificateRequest
from tests.cases.helpers import text
from tests.lifecycle.helpers import counted_as_holder, scan

URL = "/city/certificate-life/deaths"


def _csv(rows, encoding="utf-8-sig") -> bytes:
    lines = ["民政局死亡人员名单", "姓名,身份证号,死亡日期"] + [",".join(r) for r in rows]
    return "\n".join(lines).encode(encoding)


def _xlsx(rows) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "姓名", "公民身份号码", "死亡时间"])
    for n, row in enumerate(rows, 1):
        sheet.append([n, *row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(post, data: bytes, name: str):
    return post(URL, {"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _stranger() -> str:
    return idcard.make("533103", __import__("datetime").date(1950, 6, 1), 777)


def test_a_list_with_a_wrong_row_writes_nothing(world, holder, client, post, login_as,
                                               db_session):
    person, _card = holder("孙八")
    other, _ = holder("周九")
    wrong_digit = person.id_number[:-1] + ("0" if person.id_number[-1] != "0" else "1")
    rows = [
        ("孙八", person.id_number, "2021-02-01"),
        ("周九", other.id_number, "2099-01-01"),  # in the future
        ("某人", wrong_digit, "2021-01-01"),  # a mistyped ID number
        ("李四", person.id_number, "2021-02-01"),  # again, and not the registered name
        ("", _stranger(), "2021-02-30"),  # no name, no real date
    ]
    login_as(world.city)
    response = _upload(post, _csv(rows), "deaths.csv")
    assert response.status_code == 302
    page = text(client.get(response.headers["Location"]))
    assert "The list cannot be imported" in page
    for reason in ("in the future", "last character does not match", "already in row 3",
                   "differs from the name registered with this ID number (孙八)",
                   "The name is missing", "not a date"):
        assert reason in page, reason
    assert 'id="count-refused">4<' in page
    assert "Record these deaths" not in page
    response = post(f"{URL}/confirm", {}, headers={"Referer": f"http://localhost{URL}/preview"})
    assert response.status_code == 303
    assert "Nothing was saved" in text(client.get(response.headers["Location"]))
    db_session.refresh(person)
    assert not person.deceased and counted_as_holder(db_session, person)
    assert db_session.scalars(select(CertificateRequest)).first() is None


def test_a_clean_list_cancels_holders_and_records_the_deceased(
        world, holder, make_person, client, post, login_as, db_session):
    person, card = holder("孙八")
    no_card = make_person(world.township, name="钱七", village=world.village)
    case = world.new_case(person=no_card)
    rows = [("孙八", person.id_number, "2021-02-01"), ("钱 七", no_card.id_number, "20210115"),
            ("陌生人", _stranger(), "2021-01-20")]
    login_as(world.city)
    response = _upload(post, _xlsx(rows), "名单.xlsx")
    page = text(client.get(response.headers["Location"]))
    for key, n in (("cancel", 1), ("deceased", 1), ("unknown", 1), ("refused", 0)):
        assert f'id="count-{key}">{n}<' in page, key
    assert post(f"{URL}/confirm", {}).status_code == 302
    db_session.refresh(person)
    db_session.refresh(no_card)
    db_session.refresh(case)
    assert person.deceased and no_card.deceased and case.state == "deceased"
    assert not counted_as_holder(db_session, person)
    request = db_session.scalars(select(CertificateRequest)).one()
    assert (request.reason, request.death_source, request.state, request.died_on.isoformat()
            ) == ("death", "civil_affairs_list", "completed", "2021-02-01")
    assert "Cancelled" in scan(client, card)
    event = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "certificate_life.deaths_imported")).one()
    assert event.details == {"rows": 3, "cancel": 1, "deceased": 1, "already": 0,
                             "unknown": 1}
    assert person.name not in str(event.details)
    # The same list again changes nothing.
    response = _upload(post, _xlsx(rows), "名单.xlsx")
    page = text(client.get(response.headers["Location"]))
    assert 'id="count-already">2<' in page


def test_a_gbk_csv_and_unusable_files(world, holder, client, post, login_as, db_session):
    person, _card = holder("孙八")
    login_as(world.city)
    response = _upload(post, _csv([("孙八", person.id_number, "2021/2/1")], "gb18030"),
                       "名单.csv")
    assert 'id="count-cancel">1<' in text(client.get(response.headers["Location"]))
    response = _upload(post, "姓名,身份证\n孙八,1\n".encode(), "x.csv")
    page = text(client.get(response.headers["Location"]))
    assert "No header row with the columns" in page
    response = _upload(post, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert "Excel 97" in text(client.get(response.headers["Location"]))
    login_as(world.staff)
    assert client.get(URL).status_code == 404
