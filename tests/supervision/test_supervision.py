"""Supervision (督查问效): a notice from an overdue list is answered by the township and
closed; an unanswered one escalates and stays red; another township never sees it;
accountability records are the supervisors' own; the monthly report as Excel and PDF."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pypdfium2
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from portal.supervision.models import AccountabilityRecord, SupervisionNotice
from tests.jobs.helpers import exported

TODAY = date(2026, 12, 4)


@pytest.fixture
def today(app):
    app.config["CLOCK_FIXED_TODAY"] = TODAY
    yield TODAY
    app.config.pop("CLOCK_FIXED_TODAY", None)


@pytest.fixture
def county(db_session, make_township, make_user, make_person, today):
    home, other = make_township(), make_township()
    staff = make_user("township_staff", home)
    person = make_person(home)
    late = Case(township_id=home.id, person_id=person.id, kind="issue", path="concentrated",
                state="publicity", requested_category="physical", created_by_id=staff.id,
                publicity_starts_on=today - timedelta(days=20),
                publicity_ends_on=today - timedelta(days=12))
    db_session.add(late)
    db_session.flush()
    return {"home": home, "other": other, "staff": staff, "case": late,
            "supervisor": make_user("supervisor"),
            "other_staff": make_user("township_staff", other),
            "health": make_user("health_coordinator")}


def pdf_text(data: bytes) -> str:
    """The text of every page of a PDF, as a reader would copy it."""
    document = pypdfium2.PdfDocument(data)
    return "".join(page.get_textpage().get_text_range() for page in document)


def _issue(post, county, due: date, source="cases"):
    return post("/city/supervision/new", data={
        "target": f"township:{county['home'].code}", "source": source,
        "required_action": "三日内完成公示后报送", "due_on": due.isoformat()})


def test_a_notice_from_an_overdue_list_is_answered_and_closed(
        db_session, client, post, login_as, county, today):
    login_as(county["supervisor"])
    form = client.get(f"/city/supervision/new?source=cases&target=township:"
                      f"{county['home'].code}").get_data(as_text=True)
    assert f"case:{county['case'].id}" in form  # the overdue items are shown before issuing
    response = _issue(post, county, today + timedelta(days=5))
    assert response.status_code == 302
    notice = db_session.scalars(select(SupervisionNotice)).one()
    assert notice.number == "督办〔2026〕1号" and notice.state == "open"
    assert notice.items == [{"kind": "publicity", "ref": f"case:{county['case'].id}",
                             "since": (today - timedelta(days=12)).isoformat()}]

    login_as(county["staff"])
    code = county["home"].code
    assert "督办〔2026〕1号" in client.get(f"/t/{code}/supervision/").get_data(as_text=True)
    empty = post(f"/t/{code}/supervision/{notice.id}", data={"answer": ""})
    assert empty.status_code == 400
    assert post(f"/t/{code}/supervision/{notice.id}",
                data={"answer": "已于12月5日报送市残联"}).status_code == 302
    db_session.refresh(notice)
    assert notice.state == "answered" and notice.answered_by_id == county["staff"].id

    login_as(county["supervisor"])
    assert post(f"/city/supervision/{notice.id}/accept").status_code == 302
    db_session.refresh(notice)
    assert notice.state == "closed" and notice.closed_on == today
    actions = set(db_session.scalars(select(AuditEvent.action)))
    assert {"supervision.issued", "supervision.answered", "supervision.closed"} <= actions


def test_an_unanswered_notice_escalates_and_stays_red(
        db_session, client, post, login_as, runner, county, today, app):
    login_as(county["supervisor"])
    _issue(post, county, today + timedelta(days=3))
    notice = db_session.scalars(select(SupervisionNotice)).one()
    result = runner.invoke(args=["supervision", "escalate"])
    assert "escalated=0" in result.output
    app.config["CLOCK_FIXED_TODAY"] = today + timedelta(days=4)
    result = runner.invoke(args=["supervision", "escalate"])
    assert result.exit_code == 0 and "escalated=1" in result.output
    db_session.refresh(notice)
    assert notice.state == "escalated" and notice.escalated_on == today + timedelta(days=4)
    board = client.get("/city/supervision/").get_data(as_text=True)
    table = board[board.index("<tbody>"):]
    row = table[:table.index(notice.number)]
    assert row.rstrip().count("<tr") == 1 and '<tr class="table-danger">' in row
    assert "未按期答复" in board or "Escalated" in board
    # Still answerable, and the answer is recorded as late.
    login_as(county["staff"])
    post(f"/t/{county['home'].code}/supervision/{notice.id}", data={"answer": "已整改"})
    db_session.refresh(notice)
    assert notice.state == "answered"


def test_a_returned_answer_must_be_given_again(db_session, post, login_as, county, today):
    login_as(county["supervisor"])
    _issue(post, county, today + timedelta(days=3))
    notice = db_session.scalars(select(SupervisionNotice)).one()
    login_as(county["staff"])
    post(f"/t/{county['home'].code}/supervision/{notice.id}", data={"answer": "在办"})
    login_as(county["supervisor"])
    refused = post(f"/city/supervision/{notice.id}/return",
                   data={"reason": "", "due_on": (today + timedelta(days=2)).isoformat()})
    assert refused.status_code == 400
    post(f"/city/supervision/{notice.id}/return",
         data={"reason": "未说明办结时间", "due_on": (today + timedelta(days=2)).isoformat()})
    db_session.refresh(notice)
    assert notice.state == "open" and notice.due_on == today + timedelta(days=2)


def test_another_township_never_sees_the_notice(db_session, client, post, login_as, county,
                                                today):
    login_as(county["supervisor"])
    _issue(post, county, today + timedelta(days=3))
    notice = db_session.scalars(select(SupervisionNotice)).one()
    login_as(county["other_staff"])
    other = county["other"].code
    assert notice.number not in client.get(f"/t/{other}/supervision/").get_data(as_text=True)
    assert client.get(f"/t/{other}/supervision/{notice.id}").status_code == 404
    assert post(f"/t/{other}/supervision/{notice.id}",
                data={"answer": "x"}).status_code == 404
    db_session.refresh(notice)
    assert notice.state == "open"


def test_the_health_coordinator_answers_for_the_health_bureau(
        db_session, client, post, login_as, county, today):
    login_as(county["supervisor"])
    post("/city/supervision/new", data={
        "target": "health_bureau", "source": "other", "unit_name": "市卫生健康局",
        "required_action": "增派精神类评定医生", "due_on": (today + timedelta(days=7)).isoformat()})
    notice = db_session.scalars(select(SupervisionNotice)).one()
    assert notice.township_id is None and notice.unit_name == "市卫生健康局"
    login_as(county["health"])
    assert post(f"/city/supervision/{notice.id}/answer",
                data={"answer": "已增派2名医生"}).status_code == 302
    db_session.refresh(notice)
    assert notice.state == "answered"


def test_bad_input_is_refused_next_to_its_field(db_session, client, post, login_as, county,
                                                today):
    login_as(county["supervisor"])
    response = _issue(post, county, today)
    assert response.status_code == 400
    assert "截止日期必须晚于今天" in response.get_data(as_text=True)
    assert db_session.scalar(select(SupervisionNotice.id)) is None


def test_accountability_records_are_the_supervisors_own(
        db_session, client, post, login_as, county, today):
    login_as(county["health"])
    assert client.get("/city/supervision/accountability").status_code == 403
    login_as(county["supervisor"])
    data = {"township": county["home"].id, "unit_name": "某乡残联", "person_name": "某某",
            "finding": "办证工作推进迟缓", "measure": "约谈", "decided_on": today.isoformat(),
            "document_number": "芒督〔2026〕3号"}
    assert post("/city/supervision/accountability", data=data).status_code == 302
    record = db_session.scalars(select(AccountabilityRecord)).one()
    assert record.document_number == "芒督〔2026〕3号"
    assert db_session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "accountability.recorded")) is not None
    future = dict(data, decided_on=(today + timedelta(days=1)).isoformat())
    assert post("/city/supervision/accountability", data=future).status_code == 400
    assert db_session.scalar(select(AccountabilityRecord.id).where(
        AccountabilityRecord.id != record.id)) is None
    login_as(county["staff"])
    assert client.get(f"/t/{county['home'].code}/supervision/").status_code == 200
    assert "芒督" not in client.get(f"/t/{county['home'].code}/supervision/").get_data(
        as_text=True)


def test_the_monthly_report_as_excel_and_pdf(db_session, client, post, login_as, county,
                                             today):
    login_as(county["supervisor"])
    _issue(post, county, today + timedelta(days=3))
    code = county["home"].code
    xlsx = client.get(f"/city/supervision/report/{code}/2026-12.xlsx")
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.data))
    cells = [str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert "督办〔2026〕1号" in cells
    overdue = dict(book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert 1 in overdue.values()  # the one late 公示
    # The PDF is a job's file (tests/supervision/test_report_jobs.py).
    assert client.get(f"/city/supervision/report/{code}/2026-12.pdf").status_code == 405
    pdf = exported(client, post, f"/city/supervision/report/{code}/2026-12.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "督办〔2026〕1号" in pdf_text(pdf.data)
    assert post(f"/city/supervision/report/{code}/2026-13.pdf").status_code == 404
    assert client.get(f"/city/supervision/report/{code}/2026-13.xlsx").status_code == 404
