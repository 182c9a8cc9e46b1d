"""Roster exports show ID numbers and phones in clear only to roles that may reveal them."""
from io import BytesIO

import openpyxl
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.domain.idcard import mask, mask_phone
from portal.extensions import db
from tests.jobs.helpers import exported


def _cells(data: bytes, sheet: str | None = None) -> list:
    book = openpyxl.load_workbook(BytesIO(data))
    return [c for row in (book[sheet] if sheet else book.active).iter_rows(values_only=True)
            for c in row if c is not None]


def _event(action: str) -> AuditEvent:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)
                              .order_by(AuditEvent.id.desc())).first()


def _people(make_person, township):
    return [make_person(township, list_kind="suspected", phone="13912345678",
                        guardian_phone="13787654321") for _ in range(2)]


def test_supervisor_gets_masked_ids_and_phones(staff, make_person, make_user, client, post,
                                               login_as, db_session):
    township, _ = staff
    people = _people(make_person, township)
    login_as(make_user("supervisor"))
    for url, sheet in ((f"/t/{township.code}/imports/export/suspected.xlsx", None),
                       ("/city/exports/suspected.xlsx", township.name)):
        response = exported(client, post, url)
        assert response.status_code == 200
        cells = _cells(response.data, sheet)
        for person in people:
            assert person.id_number not in cells
            assert mask(person.id_number) in cells
        assert "13912345678" not in cells and mask_phone("13912345678") in cells
        assert "13787654321" not in cells and mask_phone("13787654321") in cells
    township_event, city_event = _event("roster.exported"), _event("roster.exported_city")
    assert township_event.details["masked"] is True
    assert township_event.details["revealed"] == 0
    assert city_event.details["revealed"] == 0


def test_staff_with_reveal_gets_full_numbers_and_the_count_is_audited(
        staff, make_person, client, post, login_as, db_session):
    township, user = staff
    people = _people(make_person, township)
    login_as(user)
    response = exported(client, post, f"/t/{township.code}/imports/export/suspected.xlsx")
    cells = _cells(response.data)
    assert {p.id_number for p in people} <= set(cells)
    assert "13912345678" in cells
    event = _event("roster.exported")
    assert event.actor_id == user.id
    assert event.details["masked"] is False
    assert event.details["revealed"] == 2


def test_city_admin_city_export_reveals_and_counts(staff, make_person, make_user, client,
                                                   post, login_as, db_session):
    township, _ = staff
    people = _people(make_person, township)
    login_as(make_user("city_admin"))
    cells = _cells(exported(client, post, "/city/exports/suspected.xlsx").data, township.name)
    assert {p.id_number for p in people} <= set(cells)
    assert _event("roster.exported_city").details["revealed"] == 2


def test_cli_export_masked_on_request(staff, make_person, runner, tmp_path, db_session):
    township, _ = staff
    person = _people(make_person, township)[0]
    out = tmp_path / "masked.xlsx"
    result = runner.invoke(args=["roster", "export", "--township", township.code,
                                 "--list", "suspected", "--masked", str(out)])
    assert result.exit_code == 0, result.output
    cells = _cells(out.read_bytes())
    assert person.id_number not in cells and mask(person.id_number) in cells
    assert _event("roster.exported").details["revealed"] == 0
