"""The outbox: what a notice may carry, one message per event, and the worker's round with
retries, backoff, the daily limit, opt-out and the call list."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal import uow
from portal.extensions import db
from portal.models_base import utcnow
from portal.notices import services
from portal.notices.channels import GiveUp, TryLater
from portal.notices.kinds import NoticeNotAllowed, render
from portal.notices.models import Notice, NoticeOptOut
from portal.notices.services import backoff, notify, send_due


class ScriptedChannel:
    """Answers each send with the next outcome: a reference, or an exception to raise."""

    def __init__(self, *outcomes, was_sent=None):
        self.outcomes = list(outcomes)
        self.sent: list[tuple[str, str]] = []
        self.answer = was_sent

    def send(self, notice, text):
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append((notice.out_id, text))
        return f"ref-{len(self.sent)}"

    def was_sent(self, notice):
        return self.answer


@pytest.fixture
def channel(monkeypatch):
    def use(*outcomes, was_sent=None):
        scripted = ScriptedChannel(*outcomes, was_sent=was_sent)
        monkeypatch.setattr(services, "channel_for", lambda medium: scripted)
        return scripted
    return use


@pytest.fixture
def person(make_township, make_person):
    return make_person(make_township(), phone="13800000001", guardian_phone="")


def _ready(person, kind="certificate_ready", key="c1", **params):
    params = params or {"place": "芒市镇残联"}
    notice = notify(kind, person=person, key=key, params=params)
    uow.commit()
    return notice


def test_one_event_makes_one_message(db_session, person):
    first = notify("certificate_ready", person=person, key="case:1", params={"place": "镇残联"})
    again = notify("certificate_ready", person=person, key="case:1", params={"place": "镇残联"})
    assert first.id == again.id
    assert db_session.scalar(select(db.func.count(Notice.id))) == 1
    assert first.state == "pending" and first.recipient == "13800000001"


def test_a_guardian_hears_first(db_session, make_township, make_person):
    person = make_person(make_township(), phone="13800000001", guardian_phone="13900000002")
    notice = notify("home_visit_booked", person=person, key="v1", params={"date": "12月8日"})
    assert notice.recipient == "13900000002"


def test_a_notice_carries_only_its_named_values(db_session, person):
    with pytest.raises(NoticeNotAllowed):
        notify("certificate_ready", person=person, key="x",
               params={"place": "镇残联", "grade": "二级"})
    with pytest.raises(NoticeNotAllowed):
        notify("certificate_ready", person=person, key="y", params={"place": person.id_number})
    with pytest.raises(NoticeNotAllowed):
        notify("no_such_kind", person=person, key="z", params={})


def test_messages_are_chinese_and_short(app):
    with app.test_request_context():
        text = render("certificate_ready", {"place": "芒市镇残联"})
    assert "芒市镇残联" in text and "残疾人证" in text
    assert len(text) <= 70  # one SMS


def test_no_number_goes_straight_to_the_call_list(db_session, make_township, make_person):
    person = make_person(make_township(), phone="", guardian_phone="")
    notice = notify("certificate_ready", person=person, key="n", params={"place": "镇残联"})
    assert notice.state == "failed" and notice.last_error == "no_number"


def test_the_worker_sends_and_records(db_session, person, channel):
    scripted = channel("ok")
    notice = _ready(person)
    assert send_due()["sent"] == 1
    db_session.refresh(notice)
    assert notice.state == "sent" and notice.provider_ref == "ref-1"
    assert scripted.sent[0][0] == notice.out_id
    assert person.id_number not in scripted.sent[0][1]
    assert send_due()["sent"] == 0  # nothing twice


def test_a_failure_waits_longer_each_time_then_goes_to_the_call_list(
        db_session, person, channel, app):
    app.config["NOTICE_MAX_ATTEMPTS"] = 3
    try:
        channel(TryLater("busy"), TryLater("busy"), TryLater("busy"))
        notice = _ready(person)
        now = utcnow()
        assert send_due(now)["retry"] == 1
        db_session.refresh(notice)
        assert notice.state == "pending" and notice.attempts == 1
        assert notice.next_attempt_at.replace(tzinfo=now.tzinfo) == now + backoff(1)
        assert send_due(now)["retry"] == 0  # not due yet
        later = now + backoff(1)
        send_due(later)
        db_session.refresh(notice)
        assert notice.attempts == 2
        assert backoff(2) == 2 * backoff(1)
        send_due(later + backoff(2))
        db_session.refresh(notice)
        assert notice.state == "failed" and notice.attempts == 3
    finally:
        app.config["NOTICE_MAX_ATTEMPTS"] = 6


def test_a_final_refusal_is_not_retried(db_session, person, channel):
    channel(GiveUp("isv.MOBILE_NUMBER_ILLEGAL"))
    notice = _ready(person)
    assert send_due()["failed"] == 1
    db_session.refresh(notice)
    assert notice.state == "failed" and "MOBILE" in notice.last_error


def test_an_opted_out_number_gets_nothing(db_session, person, channel):
    scripted = channel()
    db_session.add(NoticeOptOut(township_id=person.township_id, recipient=person.phone))
    notice = _ready(person)
    send_due()
    db_session.refresh(notice)
    assert notice.state == "suppressed" and scripted.sent == []


def test_the_daily_limit_defers_and_drops_nothing(db_session, person, channel, app):
    scripted = channel()
    for n in range(4):
        _ready(person, key=f"d{n}")
    now = utcnow()
    assert send_due(now)["sent"] == 3
    waiting = db_session.scalars(select(Notice).where(Notice.state == "pending")).one()
    assert waiting.next_attempt_at.replace(tzinfo=now.tzinfo) > now + timedelta(hours=23)
    assert send_due(now + timedelta(days=1, seconds=1))["sent"] == 1
    assert len(scripted.sent) == 4


@pytest.mark.parametrize("provider_has_it", [True, False])
def test_a_dead_worker_s_message_is_asked_about_not_blindly_resent(
        db_session, person, channel, provider_has_it):
    scripted = channel(was_sent=provider_has_it)
    notice = _ready(person)
    then = utcnow() - timedelta(minutes=10)
    notice.state, notice.claimed_at, notice.attempts = "sending", then, 1
    uow.commit()
    counts = send_due()
    db_session.refresh(notice)
    assert counts["recovered"] == 1
    assert notice.state == "sent"
    assert len(scripted.sent) == (0 if provider_has_it else 1)


def test_the_call_list_shows_what_failed_to_the_township_only(
        db_session, client, login_as, make_user, make_township, make_person):
    home, other = make_township(), make_township()
    person = make_person(home, name="李四", phone="13800000009")
    stranger = make_person(other, name="王五", phone="13800000008")
    for who in (person, stranger):
        notice = notify("certificate_ready", person=who, key=f"k{who.id}",
                        params={"place": "镇残联"})
        notice.state, notice.last_error = "failed", "isv.BUSINESS_LIMIT_CONTROL"
    uow.commit()
    login_as(make_user("township_staff", home))
    page = client.get(f"/t/{home.code}/notices/call-list").get_data(as_text=True)
    assert "李四" in page and "138****0009" in page
    assert "王五" not in page and "13800000009" not in page
    assert client.get(f"/t/{other.code}/notices/call-list").status_code == 404


def test_staff_mark_told_and_opt_out(db_session, client, post, login_as, make_user,
                                     make_township, make_person):
    home = make_township()
    person = make_person(home, phone="13800000007")
    notice = notify("certificate_ready", person=person, key="k", params={"place": "镇残联"})
    notice.state = "failed"
    uow.commit()
    login_as(make_user("township_staff", home))
    assert post(f"/t/{home.code}/notices/{notice.id}/opt-out").status_code == 302
    assert db_session.scalar(select(NoticeOptOut.recipient)) == "13800000007"
    assert post(f"/t/{home.code}/notices/{notice.id}/called").status_code == 302
    db_session.refresh(notice)
    assert notice.state == "sent" and notice.provider_ref == "called"


def test_the_case_page_shows_its_messages_and_how_each_went(
        db_session, client, login_as, make_user, make_township, make_person):
    from portal.cases.services import create_case

    home = make_township()
    staff = make_user("township_staff", home)
    person = make_person(home, phone="13800000041")
    case = create_case(home, staff, person, kind="issue", path="concentrated")
    sent = notify("home_visit_booked", person=person, case=case, key="v1",
                  params={"date": "12月8日 09:00"})
    sent.state = "sent"
    failed = notify("certificate_ready", person=person, case=case, key="r1",
                    params={"place": "镇残联"})
    failed.state = "failed"
    uow.commit()
    login_as(staff)
    page = client.get(f"/t/{home.code}/cases/{case.id}").get_data(as_text=True)
    assert "已发消息" in page and "138****0041" in page and "13800000041" not in page
    assert "12月8日 09:00" in page and "未能发送：请电话通知" in page
