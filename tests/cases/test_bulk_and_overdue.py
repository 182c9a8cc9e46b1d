"""Bulk creation from the roster and the overdue work lists (services and pages)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from portal.cases.models import Case
from portal.cases.services import create_case, create_cases_in_bulk, overdue_items
from portal.clock import local_today
from portal.domain.workdays import add_workdays, workdays_between
from portal.rosters.models import RosterEntry
from tests.cases.helpers import text

D = date.fromisoformat


def _entry(db_session, person, kind):
    return db_session.scalars(select(RosterEntry).where(
        RosterEntry.person_id == person.id, RosterEntry.list_kind == kind)).one()


def test_bulk_creates_one_case_per_person_and_reports_refusals(world, make_person, db_session):
    """Kinds follow the list; a person with an open case is refused, the others still get one."""
    expired = make_person(world.township, name="王五", list_kind="expired")
    busy = make_person(world.township, name="赵六", list_kind="suspected")
    world.new_case(person=busy)
    entries = [_entry(db_session, world.person, "suspected"),
               _entry(db_session, expired, "expired"), _entry(db_session, busy, "suspected")]
    result = create_cases_in_bulk(world.township, world.staff, entries, kind=None,
                                  path="concentrated")
    assert [(c.person_id, c.kind) for c in result.created] == [
        (world.person.id, "issue"), (expired.id, "renewal")]
    assert [(p.id, code) for p, code in result.refused] == [(busy.id, "open_case_exists")]
    assert {e.status for e in entries} == {"in_progress"}


def test_bulk_with_an_explicit_kind(world, db_session):
    entry = _entry(db_session, world.person, "suspected")
    result = create_cases_in_bulk(world.township, world.staff, [entry], kind="change",
                                  path="records")
    assert (result.created[0].kind, result.created[0].path) == ("change", "records")


def test_bulk_page_creates_cases_for_ticked_persons(client, post, login_as, world, make_person,
                                                    db_session):
    other = make_person(world.township, name="王五", list_kind="expired")
    busy = make_person(world.township, name="赵六", list_kind="suspected")
    world.new_case(person=busy)
    login_as(world.staff)
    base = f"/t/{world.township.code}/cases/bulk"
    page = text(client.get(base + "?status="))
    assert "李四" in page and "王五" in page and world.person.id_number not in page
    ids = [_entry(db_session, p, k).id for p, k in
           ((world.person, "suspected"), (other, "expired"), (busy, "suspected"))]
    response = post(base, data={"entries": ids, "kind": "", "path": "home_visit"})
    body = text(response)
    assert response.status_code == 200
    assert "2 cases were registered." in body
    assert "赵六" in body and "This person already has an open case." in body
    assert busy.id_number not in body
    kinds = dict(db_session.execute(select(Case.person_id, Case.kind)).all())
    assert kinds[world.person.id] == "issue" and kinds[other.id] == "renewal"


def test_bulk_page_needs_a_ticked_person(client, post, login_as, world):
    login_as(world.staff)
    response = post(f"/t/{world.township.code}/cases/bulk", data={"path": "video"})
    assert response.status_code == 200
    assert "Tick at least one person." in text(response)


def test_bulk_page_ignores_foreign_entries(client, post, login_as, world, make_township,
                                           make_person, db_session):
    foreign = make_person(make_township(), name="外人", list_kind="suspected")
    login_as(world.staff)
    entry = _entry(db_session, foreign, "suspected")
    response = post(f"/t/{world.township.code}/cases/bulk",
                    data={"entries": [entry.id], "path": "video"})
    assert "Tick at least one person." in text(response)
    assert db_session.scalars(select(Case)).all() == []


def test_overdue_items_with_hand_computed_ages(world, make_person):
    """Ages are working days after the deadline, counted on 2020-10-20."""
    p2, p3, p4 = (make_person(world.township, name=n) for n in ("甲", "乙", "丙"))
    notice = world.new_case("publicity", publicity_ends_on=D("2020-10-14"))
    review = world.new_case("under_review", person=p2, review_due_on=D("2020-09-30"))
    appeal = world.new_case("not_qualified", person=p3, appeal_due_on=D("2020-10-19"))
    world.new_case("under_review", person=p4, review_due_on=D("2020-10-20"))  # due today
    items = overdue_items(select(Case), today=D("2020-10-20"))
    # 30 Sep -> 20 Oct: 9, 10 (make-up Saturday), 12-16, 19, 20 = 9 working days.
    # 14 Oct -> 20 Oct: 15, 16, 19, 20 = 4. 19 Oct -> 20 Oct: 1.
    assert [(i.case.id, i.reason, i.age) for i in items] == [
        (review.id, "review", 9), (notice.id, "publicity", 4), (appeal.id, "appeal", 1)]


def test_overdue_pages_township_and_city(client, login_as, world, make_person, make_township,
                                         make_user, db_session):
    today = local_today()
    due = add_workdays(today, -3)
    world.new_case("under_review", review_due_on=due)
    other_township = make_township()
    foreign = make_person(other_township, name="外乡人")
    case_b = create_case(other_township, make_user("township_staff", other_township), foreign,
                         kind="issue", path="video")
    case_b.state, case_b.publicity_ends_on = "publicity", add_workdays(today, -1)
    db_session.flush()
    login_as(world.staff)
    page = text(client.get(f"/t/{world.township.code}/cases/overdue"))
    assert "李四" in page and "外乡人" not in page
    assert world.person.id_number not in page
    login_as(world.city)
    page = text(client.get("/city/review/overdue"))
    assert "李四" in page and "外乡人" in page and other_township.name in page
    age = workdays_between(due, today)  # 3, or 2 when today is a day off
    assert f'<td data-label="Working days late" class="overdue-age">{age}</td>' in page


def test_overdue_page_keeps_the_order_of_the_whole_list(world, make_person, app):
    """A page of the overdue list is the same slice of the same order as the whole list
    (earliest deadline, so most working days late, first), and counts them all."""
    from portal.cases.services import overdue_page

    today = D("2020-10-20")
    deadlines = ["2020-09-30", "2020-10-14", "2020-10-09", "2020-10-10", "2020-10-19",
                 "2020-10-12", "2020-10-11", "2020-09-30"]
    for n, deadline in enumerate(deadlines):
        state, column = (("publicity", "publicity_ends_on"), ("under_review", "review_due_on"),
                         ("not_qualified", "appeal_due_on"))[n % 3]
        world.new_case(state, person=make_person(world.township, name=f"迟{n}"),
                       **{column: D(deadline)})
    whole = [(i.case.id, i.since, i.age) for i in overdue_items(select(Case), today=today)]
    assert len(whole) == len(deadlines)
    paged = []
    for number in (1, 2, 3):
        with app.test_request_context(f"/?page={number}"):
            page = overdue_page(select(Case), per_page=3, today=today)
        assert page.total == len(deadlines) and not page.capped
        assert page.has_next == (number < 3)
        paged += [(i.case.id, i.since, i.age) for i in page.items]
    assert paged == whole


def test_overdue_pages_have_a_pager(client, login_as, world, make_person, monkeypatch):
    from portal.cases import views

    monkeypatch.setattr(views, "OVERDUE_PER_PAGE", 2)
    for n in range(3):
        world.new_case("under_review", person=make_person(world.township, name=f"迟{n}"),
                       review_due_on=add_workdays(local_today(), -2 - n))
    login_as(world.staff)
    first = text(client.get(f"/t/{world.township.code}/cases/overdue"))
    assert "Overdue cases: 3." in first and 'rel="next"' in first
    assert first.count('class="overdue-age"') == 2
    second = text(client.get(f"/t/{world.township.code}/cases/overdue?page=2"))
    assert second.count('class="overdue-age"') == 1 and 'rel="prev"' in second
