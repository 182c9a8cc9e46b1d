"""Case and review pages: list, case page and its steps, notices, review queue, SoD on the web."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.cases.models import Case
from portal.clock import local_today
from portal.domain.workdays import add_workdays
from portal.rosters.models import Guardianship
from tests.cases.helpers import events_of, text

OUTCOME = {"category": "physical", "grade": 2}


def _url(world, case, suffix=""):
    return f"/t/{world.township.code}/cases/{case.id}{suffix}"


def test_person_page_links_to_a_new_case_and_creates_it(client, post, login_as, world,
                                                        db_session):
    login_as(world.staff)
    page = text(client.get(f"/t/{world.township.code}/persons/{world.person.id}"))
    new_url = f"/t/{world.township.code}/cases/new/{world.person.id}"
    assert new_url in page
    response = post(new_url, data={"kind": "issue", "path": "home_visit", "note": "bedridden"})
    assert response.status_code == 302
    case = db_session.scalars(select(Case)).one()
    assert (case.kind, case.path, case.created_by_id) == ("issue", "home_visit", world.staff.id)
    response = post(new_url, data={"kind": "issue", "path": "video"}, follow_redirects=True)
    assert "This person already has an open case." in text(response)
    assert len(db_session.scalars(select(Case)).all()) == 1


def test_case_list_masks_and_filters(client, login_as, world, make_person):
    world.new_case("publicity")
    other = make_person(world.township, name="王五")
    world.new_case(person=other)
    login_as(world.staff)
    base = f"/t/{world.township.code}/cases/"
    page = text(client.get(base))
    assert "李四" in page and "王五" in page
    assert world.person.id_number not in page and world.person.id_number[:3] in page
    page = text(client.get(base + "?state=publicity"))
    assert "李四" in page and "王五" not in page


def test_case_page_shows_timeline_and_allowed_steps(client, login_as, world):
    case = world.new_case("assessed", **OUTCOME)
    login_as(world.staff)
    page = text(client.get(_url(world, case)))
    assert "Case registered" in page  # the timeline
    assert "/steps/start_publicity" in page and "/steps/withdraw" in page
    assert "/steps/approve" not in page  # township staff cannot approve
    assert world.person.id_number not in page


def test_step_needs_its_note_on_the_page(client, post, login_as, world):
    case = world.new_case()
    login_as(world.staff)
    response = post(_url(world, case, "/steps/withdraw"), data={"note": ""})
    assert response.status_code == 400
    assert "Write a note explaining this step." in text(response)
    assert case.state == "registered"


def test_step_through_the_page(client, post, login_as, world, db_session):
    case = world.new_case("assessed", **OUTCOME)
    login_as(world.staff)
    today = local_today()
    response = post(_url(world, case, "/steps/start_publicity"),
                    data={"starts_on": today.isoformat()})
    assert response.status_code == 302
    db_session.refresh(case)
    assert case.state == "publicity"
    assert case.publicity_ends_on == add_workdays(today, 5)
    assert [e.action for e in events_of(db_session, case)][-1] == "start_publicity"


def test_step_without_permission_is_403(client, post, login_as, world):
    case = world.new_case("under_review", **OUTCOME)
    login_as(world.staff)
    response = post(_url(world, case, "/steps/approve"), data={})
    assert response.status_code == 403


def test_approval_by_the_case_creator_is_refused_on_the_web(client, post, login_as, world,
                                                           db_session):
    """A city official who registered the case cannot approve it through the page either."""
    case = world.new_case("under_review", creator=world.city, **OUTCOME)
    login_as(world.city)
    response = post(_url(world, case, "/steps/approve"), data={}, follow_redirects=True)
    assert "You registered this case, so you cannot approve or refuse it." in text(response)
    db_session.refresh(case)
    assert case.state == "under_review" and case.certificate_number is None


def test_approval_by_the_doctor_or_guardian_is_refused_on_the_web(client, post, login_as, world,
                                                                 make_user, db_session):
    doctor_official = make_user("city_admin")
    case = world.new_case("under_review", doctor_id=doctor_official.id, **OUTCOME)
    login_as(doctor_official)
    body = text(post(_url(world, case, "/steps/approve"), data={}, follow_redirects=True))
    assert "You assessed this person" in body
    guardian = make_user("city_admin")
    db_session.add(Guardianship(township_id=world.township.id, user_id=guardian.id,
                                person_id=world.person.id))
    db_session.flush()
    login_as(guardian)
    body = text(post(_url(world, case, "/steps/refuse"), data={"note": "no"},
                     follow_redirects=True))
    assert "You are registered as this person's guardian" in body
    db_session.refresh(case)
    assert case.state == "under_review"
    login_as(world.approver)
    assert post(_url(world, case, "/steps/approve"), data={}).status_code == 302
    db_session.refresh(case)
    assert case.state == "approved"
    assert case.certificate_number == world.person.id_number + "42"


def test_not_qualified_page_shows_plain_outcome_and_appeal_window(client, login_as, world):
    case = world.new_case("not_qualified", not_disabled_reason="Hearing loss 30 dB HL",
                          notified_on=date(2020, 9, 30), appeal_due_on=date(2020, 10, 21))
    login_as(world.staff)
    page = text(client.get(_url(world, case)))
    assert "does not meet the national standard" in page
    assert "Hearing loss 30 dB HL" in page
    assert "until 2020-10-21" in page and "The appeal window is over." in page


def test_appeal_through_the_page_opens_a_city_case(client, post, login_as, world, db_session):
    today = local_today()
    case = world.new_case("not_qualified", not_disabled_reason="r", notified_on=today,
                          appeal_due_on=add_workdays(today, 10))
    login_as(world.staff)
    response = post(_url(world, case, "/steps/appeal"),
                    data={"note": "disputes", "path": "records"})
    assert response.status_code == 302
    appeal = db_session.scalars(select(Case).where(Case.appeal_of_id == case.id)).one()
    assert response.headers["Location"].endswith(f"/cases/{appeal.id}")
    assert (appeal.city_level, appeal.path) == (True, "records")
    login_as(world.city)
    assert f"/cases/{appeal.id}" in text(client.get("/city/review/"))


def test_calendar_warning_for_uncovered_years(client, login_as, world):
    case = world.new_case("publicity", publicity_starts_on=date(2031, 3, 3),
                          publicity_ends_on=date(2031, 3, 10))
    login_as(world.staff)
    page = text(client.get(_url(world, case)))
    assert "The official holiday calendar for 2031 is not known yet" in page


def test_printable_notice_has_no_id_number(client, login_as, world, make_person):
    start, end = date(2020, 9, 30), date(2020, 10, 14)
    world.new_case("publicity", publicity_starts_on=start, publicity_ends_on=end, **OUTCOME)
    elsewhere = make_person(world.township, name="王五",
                            village=sorted(world.township.villages, key=lambda v: v.name)[1])
    world.new_case("publicity", person=elsewhere, publicity_starts_on=start,
                   publicity_ends_on=end, **OUTCOME)
    login_as(world.staff)
    index = text(client.get(f"/t/{world.township.code}/cases/notices"))
    assert f"/cases/notices/{world.village.id}" in index
    page = text(client.get(f"/t/{world.township.code}/cases/notices/{world.village.id}"))
    assert "李四" in page and "王五" not in page  # one village per notice
    assert world.township.name in page and world.village.name in page
    assert "2020-09-30" in page and "2020-10-14" in page
    assert "Physical" in page
    id_number = world.person.id_number
    assert id_number not in page and id_number[-4:] not in page and "masked" not in page
    assert "Phone" not in page


def test_review_queue_lists_cases_of_all_townships(client, login_as, world, make_township,
                                                   make_person, make_user, db_session):
    from portal.cases.services import create_case

    today = local_today()
    world.new_case("under_review", review_due_on=add_workdays(today, 4), **OUTCOME)
    other = make_township()
    case_b = create_case(other, make_user("township_staff", other),
                         make_person(other, name="外乡人"), kind="issue", path="video")
    case_b.state, case_b.review_due_on = "under_review", add_workdays(today, 2)
    db_session.flush()
    login_as(world.city)
    page = text(client.get("/city/review/"))
    assert page.index("外乡人") < page.index("李四")  # soonest due first
    assert world.person.id_number not in page
    login_as(world.staff)
    assert client.get("/city/review/").status_code == 404
