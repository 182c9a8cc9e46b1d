"""Importing the national database's list of valid certificate holders into the register."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.register.importer import (
    apply_plan,
    import_holders,
    plan_holders,
    read_holders,
)
from portal.register.models import HolderEntry
from portal.rosters.models import Person, RosterEntry
from tests.register.conftest import LATER, holders_file, idn, row


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_messy_file_dry_run_reports_each_bad_row_and_writes_nothing(app, db_session,
                                                                   make_township, make_user,
                                                                   tmp_path):
    township = make_township()
    good, dup = idn(1), idn(3)
    bad_check = idn(5)[:-1] + ("0" if idn(5)[-1] != "0" else "1")
    rows = [
        row(1, good, name="张 三", grade="Ⅱ"),                      # grade spelling, stray space
        row(2, dup, category="视力残疾", grade="1", digits="11"),
        row(3, dup, category="视力", grade="一级", digits="11"),      # duplicate of row 5
        row(4, bad_check),                                          # wrong check digit
        row(5, idn(7), number=idn(9) + "42"),                       # another person's number
        row(6, idn(11), category="听力", digits="42"),               # category digit 4 ≠ 听力
        row(7, idn(13), grade="三级", digits="42"),                  # grade digit 2 ≠ 三级
        row(8, idn(15), expires=None, issued=date(2015, 1, 8)),     # expiry from issue date
        row(9, idn(17), expires=None, issued=None),                 # neither date
        row(10, idn(19), name="=HYPERLINK(1)"),                     # a formula as the name
        row(11, idn(21), name="'=1+2"),                             # quoted by an export
        row(12, idn(23), number=idn(23) + "42B1"),                  # a reissue
    ]
    path = holders_file(tmp_path / "holders.xlsx", rows)
    parsed = read_holders(path)
    plan = plan_holders(parsed, township)
    reasons = {r.row: (r.column, r.code) for r in plan.rejects}
    # Excel rows: 3 header lines above, so file row n is Excel row n + 3.
    assert reasons == {
        6: ("id_number", "duplicate"),
        7: ("id_number", "id_check_digit"),
        8: ("certificate_number", "certificate_id_mismatch"),
        9: ("category", "certificate_category_mismatch"),
        10: ("grade", "certificate_grade_mismatch"),
        12: ("expires_on", "expiry_missing"),
        13: ("name", "name_missing"),  # a formula is never evaluated: no name
    }
    assert [code for _row, code in parsed.notes] == ["footer", "footer"]  # 填表人…, 合计
    records = {r.values["id"].number: r.values for r, *_ in plan.rows}
    assert records[good]["name"] == "张三" and records[good]["certificate_grade"] == 2
    assert records[idn(15)]["certificate_expires_on"] == date(2025, 1, 8)
    assert records[idn(23)]["certificate_number"] == idn(23) + "42B1"
    assert plan.counts["new"] == len(plan.rows) and plan.counts["rejected"] == len(plan.rejects)
    # A dry run writes nothing.
    assert _count(db_session, HolderEntry) == 0
    assert _count(db_session, Person) == 0


def test_reasons_are_given_in_chinese(app, db_session, make_township, tmp_path):
    from portal.imports.messages import reason_text

    with app.test_request_context(headers={"Accept-Language": "zh-CN"}):
        assert "残疾人证号" in reason_text("certificate_id_mismatch")
        assert "类别" in reason_text("certificate_category_mismatch")
        assert "等级" in reason_text("certificate_grade_mismatch")


def test_reimport_updates_and_never_doubles(app, db_session, make_township, make_user,
                                            tmp_path):
    township = make_township()
    staff = make_user("township_staff", township)
    rows = [row(1, idn(1)), row(2, idn(3), category="智力", grade=3, digits="53")]
    path = holders_file(tmp_path / "a.xlsx", rows)
    _plan, counts = import_holders(path, township, staff)
    assert counts["new"] == 2 and _count(db_session, HolderEntry) == 2
    assert _count(db_session, Person) == 2
    person = db_session.execute(select(Person).where(Person.id_number == idn(3))).scalar_one()
    assert (person.certificate_category, person.certificate_grade) == ("intellectual", 3)
    assert not person.roster_entries  # on no survey list

    _plan, again = import_holders(path, township, staff)
    assert (again["new"], again["unchanged"]) == (0, 2)
    # A corrected file: a new expiry date for one holder.
    corrected = holders_file(tmp_path / "b.xlsx",
                             [row(1, idn(1), expires=date(2030, 1, 1)), rows[1]])
    _plan, fixed = import_holders(corrected, township, staff)
    assert (fixed["new"], fixed["updated"], fixed["unchanged"]) == (0, 1, 1)
    assert _count(db_session, HolderEntry) == 2 and _count(db_session, Person) == 2
    entry = db_session.execute(select(HolderEntry).join(Person).where(
        Person.id_number == idn(1))).scalar_one()
    assert entry.expires_on == date(2030, 1, 1) and entry.source == "national_db"
    assert entry.recorded_by_id == staff.id


def test_holder_on_a_survey_list_is_matched_by_id_number(app, db_session, make_township,
                                                         make_user, make_person, tmp_path):
    township = make_township()
    staff = make_user("township_staff", township)
    listed = make_person(township, name="李四", list_kind="expired", id_number=idn(41),
                         certificate_expires_on=date(2018, 1, 1))
    path = holders_file(tmp_path / "h.xlsx", [row(1, idn(41), name="李四")])
    _plan, counts = import_holders(path, township, staff)
    assert (counts["matched_persons"], counts["new_persons"]) == (1, 0)
    assert _count(db_session, Person) == 1
    entry = db_session.execute(select(HolderEntry)).scalar_one()
    assert entry.person_id == listed.id
    # The expired card it replaces is remembered (a renewal), and the list entry stays.
    assert entry.replaced_expires_on == date(2018, 1, 1)
    assert db_session.scalars(select(RosterEntry)).one().person_id == listed.id


def test_city_import_routes_rows_by_township(app, db_session, make_township, make_user,
                                             make_person, tmp_path):
    a, b = make_township(), make_township()
    admin = make_user("city_admin")
    moved = make_person(b, name="王五", list_kind="suspected", id_number=idn(55))
    rows = [row(1, idn(51), township=a.name),
            row(2, idn(53), township=b.name.removesuffix("乡")),     # without its suffix
            row(3, idn(55), township=a.name),                        # registered in b
            row(4, idn(57), township="不存在镇"),
            row(5, idn(59), township="")]
    plan, _counts = import_holders(holders_file(tmp_path / "c.xlsx", rows), None, admin)
    assert {r.row: r.code for r in plan.rejects} == {7: "township_unknown",
                                                     8: "township_missing"}
    by_number = {p.id_number: p.township_id for p in db_session.scalars(select(Person))}
    assert by_number[idn(51)] == a.id and by_number[idn(53)] == b.id
    assert by_number[idn(55)] == b.id  # the person's own township wins
    assert db_session.execute(select(HolderEntry.township_id).where(
        HolderEntry.person_id == moved.id)).scalar_one() == b.id


def test_township_import_refuses_other_townships_rows(app, db_session, make_township,
                                                      make_user, make_person, tmp_path):
    a, b = make_township(), make_township()
    staff = make_user("township_staff", a)
    make_person(b, list_kind="suspected", id_number=idn(63))
    rows = [row(1, idn(61), township=a.name), row(2, idn(65), township=b.name),
            row(3, idn(63))]
    plan, counts = import_holders(holders_file(tmp_path / "d.xlsx", rows), a, staff)
    assert {r.row: r.code for r in plan.rejects} == {5: "township_other", 6: "elsewhere"}
    assert counts["new"] == 1


def test_a_failed_import_leaves_nothing_half_written(app, db_session, make_township,
                                                     make_user, tmp_path, monkeypatch):
    township = make_township()
    staff = make_user("township_staff", township)
    path = holders_file(tmp_path / "e.xlsx", [row(n, idn(70 + 2 * n)) for n in range(1, 6)])
    plan = plan_holders(read_holders(path), township)
    from portal.register import importer

    calls = []
    real = importer.record_holding

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "record_holding", failing)
    savepoint = db_session.begin_nested()
    with pytest.raises(RuntimeError):
        apply_plan(plan, staff)
    savepoint.rollback()
    assert _count(db_session, HolderEntry) == 0 and _count(db_session, Person) == 0


def test_expiry_in_the_file_is_kept_as_given(app, db_session, make_township, make_user,
                                             tmp_path):
    township = make_township()
    staff = make_user("township_staff", township)
    import_holders(holders_file(tmp_path / "f.xlsx", [row(1, idn(81))]), township, staff)
    assert db_session.execute(select(HolderEntry.expires_on)).scalar_one() == LATER


def test_command_line_dry_run_then_import(app, db_session, make_township, runner, tmp_path):
    township = make_township()
    db_session.commit()  # a dry run rolls back what it read
    path = holders_file(tmp_path / "cli.xlsx", [
        row(1, idn(91), township=township.name), row(2, idn(93), digits="43")])
    dry = runner.invoke(args=["holders", "import", "--dry-run", str(path)])
    assert dry.exit_code == 0, dry.output
    assert "dry run: new=1" in dry.output and "rejected=1" in dry.output
    assert (tmp_path / "cli.rejected.xlsx").exists()
    assert _count(db_session, HolderEntry) == 0
    done = runner.invoke(args=["holders", "import", str(path)])
    assert done.exit_code == 0 and "new=1" in done.output
    assert _count(db_session, HolderEntry) == 1
