"""Importing into the database: matching by ID number, all-or-nothing, CLI, web, export."""
import re
import threading
from datetime import date
from io import BytesIO

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit.models import AuditEvent
from portal.domain import idcard
from portal.extensions import db
from portal.imports import bulk, driver, exports, matching, messages, reader, uploads
from portal.reference.models import Village
from portal.rosters.models import ImportJob, Person, RosterEntry
from tests.imports.conftest import SUSPECTED_HEADER, idn, suspected_rows, write_book
from tests.jobs.helpers import exported


def _count(model, **where):
    stmt = select(func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return db.session.scalar(stmt)


def _import(township, path, list_kind="suspected", actor=None):
    """The import of the web confirm and of the CLI: rows are written while others are read."""
    return bulk.import_file(township, actor, path, list_kind, max_rows=50_000)


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of three rows and SQLite statements of two, so that small files take every path
    of the streamed import (whole statements, the rest, several chunks in the writer)."""
    monkeypatch.setattr(reader, "CHUNK_ROWS", 3)
    monkeypatch.setattr(driver, "SQLITE_ROWS_PER_STATEMENT", 2)


def _book(tmp_path, rows, name="list.xlsx"):
    return write_book(tmp_path / name, [["测试乡疑似残疾人名单"], SUSPECTED_HEADER] + rows,
                      merges=["A1:N1"])


def test_new_rows_are_inserted_with_search_keys_and_entries(staff, tmp_path, db_session):
    township, user = staff
    result = _import(township, _book(tmp_path, suspected_rows(3)), actor=user)
    assert (result.imported, result.updated, result.rejected) == (3, 0, 0)
    person = db.session.scalars(select(Person).where(Person.township_id == township.id)
                                .order_by(Person.id)).first()
    assert person.name_pinyin and person.name_initials.startswith("z")
    assert person.id_reversed == person.id_number[::-1]
    assert person.village.name == "一村" and person.ethnicity == "傣族"
    entry = person.roster_entries[0]
    assert (entry.list_kind, entry.source, entry.suspected_category, entry.medical_records) == (
        "suspected", "import", "physical", True)
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "roster.imported")
                               ).one()
    assert event.details == {"list_kind": "suspected", "imported": 3, "updated": 0,
                             "rejected": 0, "villages_created": 0}


def test_reimport_changes_nothing_and_changes_are_updates(staff, tmp_path, db_session):
    township, _ = staff
    rows = suspected_rows(4)
    path = _book(tmp_path, rows)
    _import(township, path)
    again = _import(township, path)
    assert (again.imported, again.updated, again.rejected) == (0, 0, 0)
    rows[1][6] = "13911112222"  # a new phone number
    changed = _import(township, _book(tmp_path, rows, "changed.xlsx"))
    assert (changed.imported, changed.updated) == (0, 1)
    assert _count(Person, township_id=township.id) == 4
    assert db.session.scalar(select(Person.phone).where(Person.id_number == rows[1][4])) == (
        "13911112222")


def test_unknown_village_is_created_once_and_audited(staff, tmp_path, db_session):
    township, _ = staff
    rows = suspected_rows(2, village="新寨村") + suspected_rows(1, start=50, village="新 寨村")
    path = _book(tmp_path, rows)
    plan = matching.plan_import(township, reader.parse_workbook(path, "suspected"))
    assert plan.new_villages == ["新寨村"]  # the preview says so
    _import(township, path)
    village = db.session.scalars(select(Village).where(Village.township_id == township.id,
                                                       Village.name == "新寨村")).one()
    assert _count(Person, village_id=village.id) == 3
    assert _count(AuditEvent, action="village.created_by_import") == 1


def test_id_registered_in_another_township_is_refused_without_details(
        staff, make_township, make_person, tmp_path, db_session):
    township, _ = staff
    other = make_township()
    rows = suspected_rows(2)
    foreign = make_person(other, name="外乡人", id_number=rows[0][4])
    result = _import(township, _book(tmp_path, rows))
    assert (result.imported, result.rejected) == (1, 1)
    (reject,) = result.rejects
    assert (reject.row, reject.column, reject.code) == (3, "id_number", "elsewhere")
    text = messages.reason_text(reject.code, reject.params)
    assert "市残联" in text and other.name not in text and "外乡人" not in text
    db.session.refresh(foreign)
    assert foreign.township_id == other.id and foreign.name == "外乡人"


def test_existing_person_gets_the_other_list_as_an_update(staff, make_person, tmp_path,
                                                           db_session):
    township, _ = staff
    rows = suspected_rows(1)
    person = make_person(township, name=rows[0][1], id_number=rows[0][4], list_kind="expired")
    result = _import(township, _book(tmp_path, rows))
    assert (result.imported, result.updated) == (0, 1)
    kinds = set(db.session.scalars(select(RosterEntry.list_kind)
                                   .where(RosterEntry.person_id == person.id)))
    assert kinds == {"expired", "suspected"}


def test_a_failure_mid_import_writes_nothing(staff, tmp_path, db_session, monkeypatch, runner):
    township, _ = staff
    path = _book(tmp_path, suspected_rows(2500))
    made = []
    original = bulk._new_entry_row

    def explode(*args, **kwargs):
        made.append(1)
        if len(made) > reader.CHUNK_ROWS:
            raise RuntimeError("disk full")
        return original(*args, **kwargs)

    # Fails in the second chunk, when the first one may already have been written.
    monkeypatch.setattr(bulk, "_new_entry_row", explode)
    with pytest.raises(RuntimeError):
        _import(township, path)
    db.session.rollback()
    assert _count(Person, township_id=township.id) == 0
    assert _count(RosterEntry, township_id=township.id) == 0
    assert _count(AuditEvent, action="roster.imported") == 0


def test_cli_import_prints_counts_and_writes_rejects_next_to_file(staff, tmp_path, runner,
                                                                  db_session):
    township, _ = staff
    rows = suspected_rows(3)
    rows.append([4, "赵六", "男", "汉", 5.33103199001011E+17, "一村"] + [""] * 8)
    rows.append([5, "钱七", "女", "汉", idn(11)] + [""] * 9)  # 11 is a man's number
    path = _book(tmp_path, rows)
    args = ["roster", "import", "--township", township.code, "--list", "suspected", str(path)]
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "imported=3 updated=0 rejected=2"
    rejects = tmp_path / "list.rejected.xlsx"
    sheet = openpyxl.load_workbook(rejects).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:3] == ("行号", "列", "原因")
    assert [(line[0], line[1]) for line in lines[1:]] == [(6, "身份证号码"), (7, "性别")]
    assert "15 位" in lines[1][2]
    again = runner.invoke(args=args)
    assert again.output.strip().splitlines()[-1] == "imported=0 updated=0 rejected=2"


def test_cli_unreadable_file_exits_non_zero_and_writes_nothing(staff, tmp_path, runner,
                                                               db_session):
    township, _ = staff
    path = tmp_path / "list.xlsx"
    path.write_text("姓名,身份证号\n")
    result = runner.invoke(args=["roster", "import", "--township", township.code,
                                 "--list", "expired", str(path)])
    assert result.exit_code != 0
    assert "这不是 Excel 工作簿" in result.output
    assert not (tmp_path / "list.rejected.xlsx").exists()
    assert _count(Person, township_id=township.id) == 0


def test_export_round_trip_and_cli_export(staff, tmp_path, runner, db_session):
    township, _ = staff
    rows = suspected_rows(5)
    rows[0][10] = ""  # medical records unknown
    rows[1][11:13] = ["玉香", "13700000000"]
    _import(township, _book(tmp_path, rows))
    out = tmp_path / "export.xlsx"
    result = runner.invoke(args=["roster", "export", "--township", township.code,
                                 "--list", "suspected", str(out)])
    assert result.exit_code == 0, result.output
    again = _import(township, out)
    assert (again.imported, again.updated, again.rejected) == (0, 0, 0)
    cells = next(reader.read_sheets(out))[1]
    assert cells[0][0] == f"{township.name}疑似残疾人名单"
    assert rows[2][4] in [row[4] for row in cells]  # ID numbers stay text


def test_expired_round_trip(staff, tmp_path, db_session):
    township, _ = staff
    header = ["序号", "姓名", "性别", "民族", "公民身份号码", "所在村", "联系电话",
              "是否建档立卡贫困户", "行动能力", "原残疾证号", "残疾类别", "残疾等级", "有效期至"]
    rows = [[1, "张三", "男", "汉族", idn(11), "一村", "", "是", "卧床", idn(11) + "41",
             "", "", date(2020, 12, 31)],
            [2, "李四", "女", "傣族", idn(12), "二村", "", "否", "行动不便", "", "精神", "2",
             "2021-01-05"]]
    path = write_book(tmp_path / "a1.xlsx", [["名单"], header] + rows)
    first = _import(township, path, "expired")
    assert first.imported == 2
    person = db.session.scalars(select(Person).where(Person.id_number == idn(11))).one()
    assert (person.certificate_category, person.certificate_grade, person.mobility) == (
        "physical", 1, "bedridden")
    out = tmp_path / "out.xlsx"
    exports.export_township(township, None, "expired", out, reveal=True)
    again = _import(township, out, "expired")
    assert (again.imported, again.updated, again.rejected) == (0, 0, 0)


def test_city_workbook_has_a_summary_and_a_sheet_per_township(
        staff, make_township, make_person, db_session):
    township, _ = staff
    other = make_township()
    make_person(township, list_kind="suspected", poverty_registered=True)
    make_person(other, list_kind="suspected")
    make_person(other, list_kind="expired")
    buffer = BytesIO()
    exports.export_city(None, "suspected", buffer)
    book = openpyxl.load_workbook(BytesIO(buffer.getvalue()))
    names = book.sheetnames
    assert names[0] == "汇总"
    assert township.name in names and other.name in names
    summary = {row[0]: row[1:] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary[township.name] == (1, 1, 0)
    assert summary[other.name] == (1, 0, 0)
    assert book[other.name].max_row == 3  # title, header, one person


# --- web -----------------------------------------------------------------------------------

def _upload(post, township, path, list_kind="suspected"):
    with open(path, "rb") as fh:
        return post(f"/t/{township.code}/imports/new",
                    data={"list_kind": list_kind, "file": (fh, "名单.xlsx")},
                    content_type="multipart/form-data")


def test_web_upload_preview_confirm(staff, tmp_path, client, post, login_as, app, db_session):
    township, user = staff
    login_as(user)
    rows = suspected_rows(3) + [[9, "赵六", "男", "汉", 533103199001011234, "一村"] + [""] * 8]
    response = _upload(post, township, _book(tmp_path, rows))
    assert response.status_code == 302
    token = response.headers["Location"].rsplit("/", 1)[-1]
    job = db.session.scalars(select(ImportJob).where(ImportJob.token == token)).one()
    assert job.status == "ready" and "名单" not in job.stored_name
    import_dir = app.config["IMPORT_DIR"]
    assert (uploads.job_path(import_dir, job)).exists()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'id="count-total">4<', page) and re.search(r'id="count-new">3<', page)
    assert re.search(r'id="count-rejected">1<', page)
    assert "只保留了 15 位有效数字" in page
    rejects = client.get(f"/t/{township.code}/imports/jobs/{token}/rejects.xlsx")
    assert rejects.status_code == 200
    sheet = openpyxl.load_workbook(BytesIO(rejects.data)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("行号", "列", "原因") and lines[1][:2] == (6, "身份证号码")
    assert _count(Person, township_id=township.id) == 0  # nothing before confirming
    done = post(f"/t/{township.code}/imports/jobs/{token}/confirm")
    assert done.status_code == 302
    db.session.refresh(job)
    assert (job.status, job.imported, job.updated, job.rejected_rows) == ("done", 3, 0, 1)
    assert _count(Person, township_id=township.id) == 3
    assert not uploads.job_path(import_dir, job).exists()
    progress = client.get(f"/t/{township.code}/imports/jobs/{token}/progress").get_json()
    assert progress["status"] == "done" and progress["running"] is False


def test_web_rejects_bad_files_clearly(staff, tmp_path, client, post, login_as, app,
                                       db_session):
    township, user = staff
    login_as(user)
    csv = tmp_path / "list.xlsx"
    csv.write_text("姓名,身份证号\n张三,1\n")
    response = _upload(post, township, csv)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "这不是 Excel 工作簿" in page
    token = response.headers["Location"].rsplit("/", 1)[-1]
    job = db.session.scalars(select(ImportJob).where(ImportJob.token == token)).one()
    assert job.status == "unreadable"
    assert not uploads.job_path(app.config["IMPORT_DIR"], job).exists()
    with open(csv, "rb") as fh:
        wrong = post(f"/t/{township.code}/imports/new",
                     data={"list_kind": "suspected", "file": (fh, "list.csv")},
                     content_type="multipart/form-data")
    assert wrong.status_code == 200
    assert "只能导入 Excel 工作簿（.xlsx）" in wrong.get_data(as_text=True)


def test_templates_and_exports_need_their_permissions(staff, make_township, make_user,
                                                      client, post, login_as, db_session):
    township, user = staff
    login_as(user)
    template = client.get(f"/t/{township.code}/imports/templates/expired.xlsx")
    assert template.status_code == 200
    cells = openpyxl.load_workbook(BytesIO(template.data)).active
    assert "原残疾证号" in [c.value for c in cells[3]]
    export = exported(client, post, f"/t/{township.code}/imports/export/suspected.xlsx")
    assert export.status_code == 200
    assert _count(AuditEvent, action="roster.exported") == 1
    assert post("/city/exports/suspected.xlsx").status_code == 404
    liaison = make_user("village_liaison", township, villages=township.villages[:1])
    login_as(liaison)
    assert client.get(f"/t/{township.code}/imports/new").status_code == 403
    assert post(f"/t/{township.code}/imports/export/suspected.xlsx").status_code == 403
    admin = make_user("city_admin")
    login_as(admin)
    city = exported(client, post, "/city/exports/expired.xlsx")
    assert city.status_code == 200
    assert township.name in openpyxl.load_workbook(BytesIO(city.data)).sheetnames


def test_job_of_another_township_is_not_found(staff, make_township, make_user, tmp_path,
                                              client, post, login_as, db_session):
    township, user = staff
    login_as(user)
    response = _upload(post, township, _book(tmp_path, suspected_rows(1)))
    token = response.headers["Location"].rsplit("/", 1)[-1]
    other = make_township()
    login_as(make_user("township_staff", other))
    assert client.get(f"/t/{other.code}/imports/jobs/{token}").status_code == 404
    assert client.get(f"/t/{township.code}/imports/jobs/{token}").status_code == 404


@pytest.mark.slow  # about 30 s on a 2-core machine
def test_fifty_thousand_rows_import(staff, tmp_path, db_session):
    township, _ = staff
    path = _book(tmp_path, suspected_rows(50_000))
    result = _import(township, path)
    assert (result.imported, result.rejected) == (50_000, 0)
    assert _count(RosterEntry, township_id=township.id) == 50_000


def test_bulk_written_rows_read_back_like_rows_written_by_the_orm(staff, make_person, tmp_path,
                                                                   db_session):
    township, _ = staff
    made = make_person(township, name="对照", id_number=idn(901))
    db.session.flush()
    rows = suspected_rows(3)
    _import(township, _book(tmp_path, rows))
    db.session.expire_all()  # both as read back from the database
    born = idcard.parse(rows[1][4]).birth_date
    person = db.session.scalars(select(Person).where(Person.birth_date == born,
                                                     Person.township_id == township.id)).one()
    assert person.id_number == rows[1][4] and person.name_pinyin.startswith("zhang ")
    assert type(person.created_at) is type(made.created_at)
    assert person.created_at.tzinfo == made.created_at.tzinfo
    assert db.session.scalar(select(func.count()).select_from(Person).where(
        Person.township_id == township.id, Person.created_at >= made.created_at)) == 4
    entry = person.roster_entries[0]
    assert (entry.status, entry.source, entry.notes, entry.survey_date) == (
        "open", "import", "", None)


def test_the_bulk_writer_knows_every_column():
    # A column added to either table must be given a value by the import too.
    assert set(bulk.PERSON_COLUMNS) == set(Person.__table__.c.keys())
    assert set(bulk.ENTRY_COLUMNS) | {"id"} == set(RosterEntry.__table__.c.keys())


def test_streamed_import_does_what_the_preview_planned(
        staff, make_township, make_person, tmp_path, db_session, small_chunks):
    township, user = staff
    villages = {v.name: v for v in db.session.scalars(
        select(Village).where(Village.township_id == township.id))}
    rows = suspected_rows(10) + suspected_rows(4, start=20, village="新寨")
    own = make_person(township, name=rows[1][1], id_number=rows[1][4], phone="13000000000",
                      village=villages["一村"])
    moved = make_person(township, name=rows[12][1], id_number=rows[12][4],
                        village=villages["一村"], list_kind=None)
    rows[3][5] = "后寨"  # a new village where only someone already listed lives
    back = make_person(township, name=rows[3][1], id_number=rows[3][4], phone=rows[3][6],
                       village=villages["一村"])
    make_person(make_township(), name="外乡人", id_number=rows[5][4])
    spaced = rows[8][4][:6] + " " + rows[8][4][6:]  # valid, but not in its usual form
    rows[8][4] = spaced
    rows.append(list(rows[2]))  # the same person twice
    path = _book(tmp_path, rows)
    plan = matching.plan_import(township, reader.parse_workbook(path, "suspected"))
    progress = []

    result = bulk.import_file(township, user, path, "suspected", max_rows=50_000,
                              progress=lambda *args: progress.append(args))

    assert (result.imported, result.updated, result.rejected, result.villages_created) == (
        len(plan.new), len(plan.changed), len(plan.rejects), len(plan.new_villages))
    assert (result.imported, result.updated, result.rejected, result.villages_created) == (
        10, 3, 2, 2)
    assert [(r.row, r.column, r.code) for r in result.rejects] == [
        (8, "id_number", "elsewhere"), (17, "id_number", "duplicate")]
    assert _count(Person, township_id=township.id) == 13
    assert _count(RosterEntry, township_id=township.id, list_kind="suspected") == 13
    new_village = db.session.scalars(select(Village).where(
        Village.township_id == township.id, Village.name == "新寨")).one()
    assert _count(Person, village_id=new_village.id) == 4
    db.session.expire_all()
    assert own.phone == "13800138000" and moved.village_id == new_village.id
    assert back.village.name == "后寨"
    assert db.session.scalar(select(Person.name).where(
        Person.id_number == idcard.parse(spaced).number)) == rows[8][1]
    assert {p[0] for p in progress} == {"parsing", "importing"}
    assert progress[-1] == ("importing", 13, 13)
    details = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "roster.imported")).one()
    assert details == {"list_kind": "suspected", "imported": 10, "updated": 3, "rejected": 2,
                       "villages_created": 2}
    assert _count(AuditEvent, action="village.created_by_import") == 1


def test_a_database_failure_in_the_writer_reaches_the_caller(
        staff, tmp_path, db_session, monkeypatch, small_chunks):
    township, _ = staff
    path = _book(tmp_path, suspected_rows(12))
    threads = []

    def failing(self, *args, **kwargs):
        threads.append(threading.current_thread().name)
        raise RuntimeError("disk full")

    monkeypatch.setattr(driver.BulkWriter, "insert", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        _import(township, path)
    assert threads[-1] == "roster-import-writer"  # written beside the validation
    db.session.rollback()
    assert _count(Person, township_id=township.id) == 0
    assert _count(RosterEntry, township_id=township.id) == 0
    assert _count(AuditEvent, action="roster.imported") == 0


def test_an_id_registered_after_the_lookup_is_a_conflict(
        staff, make_township, make_person, tmp_path, db_session, monkeypatch, small_chunks):
    township, _ = staff
    rows = suspected_rows(9)
    make_person(make_township(), name="同时登记", id_number=rows[7][4])
    # As if the person had been registered elsewhere after the import looked the numbers up.
    monkeypatch.setattr(bulk, "persons_by_number", lambda connection, numbers: {})
    with pytest.raises(IntegrityError):
        _import(township, _book(tmp_path, rows))
    db.session.rollback()
    assert _count(Person, township_id=township.id) == 0


def test_too_many_rows_are_refused_before_anything_is_written(
        staff, tmp_path, db_session, small_chunks):
    township, _ = staff
    with pytest.raises(reader.WorkbookError) as caught:
        bulk.import_file(township, None, _book(tmp_path, suspected_rows(12)), "suspected",
                         max_rows=10)
    assert caught.value.code == "too_many_rows"
    assert _count(Person, township_id=township.id) == 0  # even before a rollback
    # Blank and total rows do not count.
    rows = suspected_rows(10) + [[None] * 14] * 3 + [["合计", "10人"]]
    result = bulk.import_file(township, None, _book(tmp_path, rows, "fits.xlsx"), "suspected",
                              max_rows=10)
    assert result.imported == 10


def test_without_a_writer_thread_the_import_is_the_same(
        staff, tmp_path, db_session, monkeypatch, small_chunks):
    # As on a connection that must stay in its thread (an in-memory SQLite database).
    township, _ = staff
    monkeypatch.setattr(driver.BulkWriter, "shares_threads", property(lambda self: False))
    threads = set()
    original = driver.BulkWriter.insert

    def insert(self, *args, **kwargs):
        threads.add(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(driver.BulkWriter, "insert", insert)
    result = _import(township, _book(tmp_path, suspected_rows(8, village="新寨")))
    assert (result.imported, result.rejected, result.villages_created) == (8, 0, 1)
    assert threads == {threading.main_thread().name}
    assert _count(Person, township_id=township.id) == 8
    assert _count(RosterEntry, township_id=township.id) == 8
