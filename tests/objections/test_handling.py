"""Objections recorded by staff and their handling: dismissed (the case may go on) or upheld
(back for a new assessment with the reason), all audited, shown on the case page, its
timeline and the city's review queue; who sees an objection."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.services import take_step
from portal.objections.models import Objection
from portal.objections.services import ObjectionData, record_objection
from portal.refusals import Refused
from tests.cases.helpers import access, events_of, text
from tests.objections.conftest import END, START

TODAY = START + timedelta(days=1)
AFTER = END + timedelta(days=1)


def _record(world, reason="村民来电：他的腿没有问题。", **kwargs):
    return record_objection(world.case, actor=world.staff, channel="phone",
                            received_on=TODAY, data=ObjectionData(reason=reason, **kwargs))


def _end_notice(world):
    return take_step(world.case, "end_publicity", actor=world.staff,
                     access=access(world.staff, world.township), today=AFTER)


def _audits(db_session, action):
    return db_session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_staff_record_an_objection_received_by_phone(on_notice, client, login_as, post,
                                                     db_session):
    login_as(on_notice.staff)
    url = f"/t/{on_notice.township.code}/objections/case/{on_notice.case.id}/new"
    assert client.get(url).status_code == 200
    response = post(url, data={"objection-channel": "phone",
                               "objection-received_on": TODAY.isoformat(),
                               "objection-reason": "村民来电：他的腿没有问题。",
                               "objection-contact": "王先生"})
    assert response.status_code == 302
    objection = db_session.scalars(select(Objection)).one()
    assert (objection.channel, objection.recorded_by_id, objection.received_on) == (
        "phone", on_notice.staff.id, TODAY)
    with pytest.raises(Refused) as refused:
        _end_notice(on_notice)
    assert refused.value.code == "objection_open"


@pytest.mark.parametrize(("day", "message"), [
    (TODAY + timedelta(days=1), "cannot be in the future"),
    (START - timedelta(days=1), "cannot be before the notice started"),
])
def test_a_wrong_day_is_refused_next_to_its_field(on_notice, client, login_as, post,
                                                 db_session, day, message):
    login_as(on_notice.staff)
    url = f"/t/{on_notice.township.code}/objections/case/{on_notice.case.id}/new"
    response = post(url, data={"objection-channel": "paper",
                               "objection-received_on": day.isoformat(),
                               "objection-reason": "书面异议，理由如下。"})
    assert response.status_code == 400
    page = text(response)
    assert message in page and 'id="objection-received_on-error"' in page
    assert db_session.scalars(select(Objection)).all() == []


def test_no_objection_is_recorded_once_the_case_left_the_notice(on_notice, client, login_as,
                                                                post, db_session):
    on_notice.case.state = "under_review"
    db_session.flush()
    login_as(on_notice.staff)
    url = f"/t/{on_notice.township.code}/objections/case/{on_notice.case.id}/new"
    response = post(url, data={"objection-channel": "paper",
                               "objection-received_on": TODAY.isoformat(),
                               "objection-reason": "书面异议，理由如下。"})
    assert response.status_code == 400
    assert "while the result is on public notice" in text(response)
    assert db_session.scalars(select(Objection)).all() == []


def test_a_dismissed_objection_lets_the_case_go_on(on_notice, client, login_as, post,
                                                   db_session, clock):
    objection = _record(on_notice)
    login_as(on_notice.staff)
    url = f"/t/{on_notice.township.code}/objections/{objection.id}"
    page = text(client.get(url))
    assert "村民来电" in page and "Check and decide" in page
    prefix = f"decide-{objection.id}"
    response = post(url, data={f"{prefix}-outcome": "dismissed",
                               f"{prefix}-reason": "经核查，评定结果属实。"})
    assert response.status_code == 302
    db_session.expire_all()
    assert (objection.status, objection.outcome_reason, objection.decided_by_id) == (
        "dismissed", "经核查，评定结果属实。", on_notice.staff.id)
    _end_notice(on_notice)
    assert on_notice.case.state == "under_review"
    actions = [(e.action, e.note) for e in events_of(db_session, on_notice.case)]
    assert ("objection_received", "") in actions
    assert ("objection_dismissed", "经核查，评定结果属实。") in actions
    assert len(_audits(db_session, "objection.dismissed")) == 1
    assert len(_audits(db_session, "objection.view")) == 1


def test_an_upheld_objection_sends_the_case_back_with_the_reason(on_notice, client, login_as,
                                                                 post, db_session):
    first, second = _record(on_notice), _record(on_notice, reason="另一位村民的异议。")
    login_as(on_notice.staff)
    prefix = f"decide-{first.id}"
    response = post(f"/t/{on_notice.township.code}/objections/{first.id}",
                    data={f"{prefix}-outcome": "upheld",
                          f"{prefix}-reason": "经核查，需要重新评定肢体残疾等级。"})
    assert response.status_code == 302
    db_session.expire_all()
    case = on_notice.case
    assert case.state == "registered"
    assert (case.category, case.grade, case.publicity_starts_on, case.publicity_ends_on) == (
        None, None, None, None)
    assert (first.status, second.status) == ("upheld", "superseded")
    event = events_of(db_session, case)[-1]
    assert (event.action, event.from_state, event.to_state, event.note) == (
        "uphold_objection", "publicity", "registered", "经核查，需要重新评定肢体残疾等级。")
    [audit] = _audits(db_session, "objection.upheld")
    assert audit.details["superseded"] == [second.id]
    assert len(_audits(db_session, "case.uphold_objection")) == 1
    page = text(client.get(f"/t/{on_notice.township.code}/cases/{case.id}"))
    assert "Objection upheld: back for a new assessment" in page
    assert "经核查，需要重新评定肢体残疾等级。" in page


def test_a_decision_needs_its_reason_and_is_made_once(on_notice, client, login_as, post,
                                                      db_session):
    objection = _record(on_notice)
    login_as(on_notice.staff)
    url = f"/t/{on_notice.township.code}/objections/{objection.id}"
    prefix = f"decide-{objection.id}"
    response = post(url, data={f"{prefix}-outcome": "dismissed", f"{prefix}-reason": ""})
    assert response.status_code == 400
    assert "Write the reason." in text(response)
    assert objection.status == "open"
    post(url, data={f"{prefix}-outcome": "dismissed", f"{prefix}-reason": "理由充分的驳回。"})
    again = post(url, data={f"{prefix}-outcome": "upheld", f"{prefix}-reason": "再改主意。"})
    assert again.status_code == 403
    db_session.expire_all()
    assert objection.status == "dismissed" and on_notice.case.state == "publicity"


def test_the_upheld_step_is_only_taken_through_an_objection(on_notice):
    with pytest.raises(Refused) as refused:
        take_step(on_notice.case, "uphold_objection", actor=on_notice.staff,
                  access=access(on_notice.staff, on_notice.township), note="直接退回")
    assert refused.value.code == "objection_use_case_page"


def test_case_page_and_review_queue_show_objections_and_outcome(on_notice, client, login_as,
                                                                db_session):
    from portal.objections.services import dismiss_objection

    objection = _record(on_notice, contact="王先生 13900001111")
    login_as(on_notice.staff)
    case_url = f"/t/{on_notice.township.code}/cases/{on_notice.case.id}"
    page = text(client.get(case_url))
    assert "Objections during the public notice" in page and "村民来电" in page
    assert "Waiting to be checked" in page
    assert "13900001111" not in page  # the contact is on the objection's own page only
    assert "Objection to the notice received" in page  # the timeline
    dismiss_objection(objection, actor=on_notice.staff, reason="经核查，评定结果属实。")
    _end_notice(on_notice)
    db_session.flush()
    login_as(on_notice.city)
    queue = text(client.get("/city/review/"))
    assert "Objections raised during the public notice" in queue
    assert f"objection no. {objection.id}" in queue
    assert "Dismissed" in queue and "经核查，评定结果属实。" in queue


def test_who_sees_an_objection(on_notice, client, login_as, make_user, make_township):
    objection = _record(on_notice, contact="王先生 13900001111")
    url = f"/t/{on_notice.township.code}/objections/{objection.id}"
    login_as(on_notice.supervisor)
    page = text(client.get(url))
    assert "村民来电" in page and "13900001111" not in page
    assert "Check and decide" not in page
    login_as(on_notice.staff)
    assert "13900001111" in text(client.get(url))
    for user in (on_notice.liaison,):
        login_as(user)
        assert client.get(url).status_code == 404
        case_page = text(client.get(f"/t/{on_notice.township.code}/cases/{on_notice.case.id}"))
        assert "村民来电" not in case_page
    other = make_township()
    login_as(make_user("township_staff", other))
    assert client.get(f"/t/{other.code}/objections/{objection.id}").status_code == 404


def test_the_township_list_shows_open_objections(on_notice, client, login_as):
    _record(on_notice)
    login_as(on_notice.staff)
    page = text(client.get(f"/t/{on_notice.township.code}/objections/"))
    assert on_notice.person.name in page and "By phone" in page
    dismissed = text(client.get(f"/t/{on_notice.township.code}/objections/?status=dismissed"))
    assert "No objection in this list." in dismissed


def test_an_attachment_is_shown_through_the_portal_and_audited(on_notice, client, login_as,
                                                               db_session):
    import io

    objection = _record(on_notice, attachment=io.BytesIO(b"%PDF-1.4\n%%EOF\n"))
    login_as(on_notice.staff)
    response = client.get(
        f"/t/{on_notice.township.code}/objections/{objection.id}/attachment")
    assert response.status_code == 200
    assert response.data == b"%PDF-1.4\n%%EOF\n"
    assert response.mimetype == "application/pdf"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert len(_audits(db_session, "objection.attachment_view")) == 1
