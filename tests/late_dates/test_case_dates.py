"""Public notice and notification entered after the fact: the reason is required, who and
when are recorded, the timeline says so, deadlines count from the real day, and a date older
than the window is refused next to the field in Chinese."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.cases.models import Case
from tests.cases.helpers import text

OUTCOME = {"category": "physical", "grade": 2}


def _step_url(world, case, action):
    return f"/t/{world.township.code}/cases/{case.id}/steps/{action}"


def test_notice_posted_before_it_was_entered(world, clock, client, post, login_as, db_session,
                                             english):
    clock.day = date(2020, 9, 14)  # Monday
    case = world.new_case("assessed", **OUTCOME)
    login_as(world.staff)
    url = _step_url(world, case, "start_publicity")
    refused = post(url, {"starts_on": "2020-09-11"})
    assert refused.status_code == 400
    assert 'id="start_publicity-late_reason-error"' in text(refused)
    assert "write why it is entered late" in text(refused)
    assert case.state == "assessed"
    done = post(url, {"starts_on": "2020-09-11", "late_reason": "posted on Friday, no network"})
    assert done.status_code == 302
    db_session.expire_all()
    case = db_session.get(Case, case.id)
    # Counted from Friday 11 September, when it was posted: 14-18 September.
    assert (case.publicity_starts_on, case.publicity_ends_on) == (
        date(2020, 9, 11), date(2020, 9, 18))
    event = case.events[-1]
    assert (event.action, event.happened_on, event.actor_id) == (
        "start_publicity", date(2020, 9, 11), world.staff.id)
    assert event.late_reason == "posted on Friday, no network"
    # Entered at the real time, whatever the day it records.
    entered = event.occurred_at if event.occurred_at.tzinfo else event.occurred_at.replace(
        tzinfo=UTC)
    assert abs((datetime.now(UTC) - entered).total_seconds()) < 300
    audit = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "case.start_publicity")).one()
    assert audit.details["entered_late"] is True
    assert audit.details["happened_on"] == "2020-09-11"
    page = text(client.get(f"/t/{world.township.code}/cases/{case.id}"))
    assert "Entered late" in page
    assert "Done on 2020-09-11; entered on" in page
    assert f"by {world.staff.display_name or world.staff.username}." in page
    assert "Why late: posted on Friday, no network" in page


def test_notice_on_time_is_not_marked_late(world, clock, client, post, login_as, db_session,
                                           english):
    clock.day = date(2020, 9, 14)
    case = world.new_case("assessed", **OUTCOME)
    login_as(world.staff)
    assert post(_step_url(world, case, "start_publicity"),
                {"starts_on": "2020-09-14"}).status_code == 302
    db_session.expire_all()
    event = db_session.get(Case, case.id).events[-1]
    assert (event.happened_on, event.late_reason) == (date(2020, 9, 14), None)
    assert "Entered late" not in text(client.get(f"/t/{world.township.code}/cases/{case.id}"))


def test_date_older_than_the_window_is_refused_in_chinese(world, clock, post, login_as,
                                                          db_session):
    clock.day = date(2020, 9, 14)
    case = world.new_case("assessed", **OUTCOME)
    login_as(world.staff)
    response = post(_step_url(world, case, "start_publicity"),
                    {"starts_on": "2020-09-04", "late_reason": "forgot"})
    assert response.status_code == 400
    page = text(response)
    error = page.split('id="start_publicity-starts_on-error"', 1)[1].split("</div>", 1)[0]
    assert "该日期已超过7天，不能补录更早的日期" in error
    db_session.expire_all()
    assert db_session.get(Case, case.id).state == "assessed"


def test_notification_entered_late_counts_the_appeal_from_the_real_day(
        world, clock, post, login_as, db_session, english):
    clock.day = date(2020, 10, 21)
    case = world.new_case("assessed", not_disabled_reason="below grade 4")
    login_as(world.staff)
    url = _step_url(world, case, "notify_not_qualified")
    assert "cannot be in the future" in text(post(url, {"notified_on": "2020-10-22"}))
    assert "write why it is entered late" in text(post(url, {"notified_on": "2020-10-19"}))
    assert post(url, {"notified_on": "2020-10-19",
                      "late_reason": "told at home, form came back today"}).status_code == 302
    db_session.expire_all()
    case = db_session.get(Case, case.id)
    # 10 working days after Monday 19 October: 20-23, 26-30 October, 2 November.
    assert (case.notified_on, case.appeal_due_on) == (date(2020, 10, 19), date(2020, 11, 2))
    assert case.events[-1].late_reason == "told at home, form came back today"


def test_service_refuses_what_the_form_refuses(world, clock):
    """The rule holds without the form too (one function for forms and services)."""
    import pytest

    from portal.cases.services import take_step
    from portal.refusals import Refused
    from tests.cases.helpers import access

    clock.day = date(2020, 9, 14)
    case = world.new_case("assessed", **OUTCOME)
    staff = access(world.staff, world.township)
    for starts_on, reason, code in ((date(2020, 9, 11), "", "late_reason_required"),
                                    (date(2020, 9, 1), "r", "date_too_old")):
        with pytest.raises(Refused) as refused:
            take_step(case, "start_publicity", actor=world.staff, access=staff,
                      starts_on=starts_on, late_reason=reason)
        assert refused.value.code == code
    take_step(case, "start_publicity", actor=world.staff, access=staff,
              starts_on=date(2020, 9, 11), late_reason="paper first")
    assert case.events[-1].late_reason == "paper first"


def test_reason_is_shown_as_text(world, clock, client, post, login_as, english):
    clock.day = date(2020, 9, 14)
    case = world.new_case("assessed", **OUTCOME)
    login_as(world.staff)
    assert post(_step_url(world, case, "start_publicity"),
                {"starts_on": "2020-09-13", "late_reason": "<b>posted</b>"}).status_code == 302
    raw = client.get(f"/t/{world.township.code}/cases/{case.id}").get_data(as_text=True)
    assert "&lt;b&gt;posted&lt;/b&gt;" in raw and "<b>posted</b>" not in raw
